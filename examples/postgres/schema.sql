-- The shop's own tables as segment_customers reads them. A backend has tables of its own:
-- adapt the program's rfm_sql to them. The program adds segment_models and customer_segments.
CREATE TABLE IF NOT EXISTS customers (
  customer_id text PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS orders (
  order_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers (customer_id),
  ordered_on  date NOT NULL,
  amount      numeric(12, 2) NOT NULL  -- negative: a return
);
CREATE INDEX IF NOT EXISTS orders_by_customer ON orders (customer_id);
