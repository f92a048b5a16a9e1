"""cli-app: a Postgres-native ELT for order analytics."""
