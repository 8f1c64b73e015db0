DROP TYPE order_status;
