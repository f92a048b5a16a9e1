-- clean.address_area
-- The coarse part of an address, the only part of it the star schema keeps: its last
-- comma-separated part (a city or region, as in '12 Rua Augusta, Lisboa'), or, for an address
-- without a comma (the demo's '1234 Market Street'), the street. Every word with a digit in it
-- goes (house numbers, postcodes, flats), so what is left is shared by many customers.

create or replace function clean.address_area(address text)
returns text
language sql immutable parallel safe as $$
    select nullif(btrim(regexp_replace(regexp_replace(regexp_replace(address, '^.*,', ''),
                                                      '\S*[0-9]\S*', '', 'g'),
                                       '\s+', ' ', 'g')), '')
$$;

comment on function clean.address_area(text) is
    'Coarse area of an address: its last comma-separated part, or the whole address when it has no comma, without any word containing a digit; null when nothing is left.';
