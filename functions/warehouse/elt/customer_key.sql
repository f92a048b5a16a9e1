-- elt.customer_key
-- The customer's pseudonym: what the star schema holds instead of the customer id, so analysts
-- can count, follow and join customers without being able to look them up. A keyed hash, not a
-- plain one: a hash of the id alone is undone by hashing every id, while this one needs the key
-- in elt.pseudonym_key, which only the owner reads. 16 of the 32 bytes: no collision is to be
-- expected below about 10^18 customers, and the key stays short to type.

create or replace function elt.customer_key(customer_id bigint)
returns text
language sql stable strict parallel safe as $$
    select encode(substring(public.hmac(customer_id::text::bytea, k.key, 'sha256') from 1 for 16), 'hex')
    from elt.pseudonym_key as k
$$;

comment on function elt.customer_key(bigint) is
    'Pseudonym of a customer id: the first 16 bytes of HMAC-SHA256(id, elt.pseudonym_key.key), in hex. Stable while the key is; analytics.dim_customer.customer_key.';
