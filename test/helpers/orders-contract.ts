// The BLOCK contract on public.orders (id, email, status; primary key id) that the CLI and App
// tests change migrations against.
export const ordersContract = (owner = '"@acme/data-platform"') => `name: orders
version: 1.0.0
status: active
owner: ${owner}
enforcement: BLOCK
dataset: { type: table, name: public.orders }
schema:
  primary_key: [id]
  columns:
    - { name: id, type: bigint, required: true }
    - { name: email, type: string, required: false }
    - { name: status, type: string, required: true }
`;
