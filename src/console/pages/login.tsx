import { Field, Layout } from "../layout.tsx";

export const loginPage = ({
  github,
  error,
  notice,
}: {
  github: boolean;
  error?: string;
  notice?: string;
}) => (
  <Layout title="Sign in" error={error} notice={notice}>
    <h1>Sign in to Covenant</h1>
    {github ? (
      <p>
        <a class="button" href="/auth/github">
          Sign in with GitHub
        </a>
      </p>
    ) : null}
    <form method="post" action="/login" aria-label="Sign in with an API key">
      <Field id="api-key" label="API key">
        <input id="api-key" name="key" type="password" autocomplete="current-password" required size={48} />
      </Field>
      <button type="submit">Sign in with the key</button>
    </form>
    <p class="muted">
      Without a key: run <code>npx covenant keys create --scope admin --name bootstrap</code> in the directory
      the server runs in, and paste the key it prints. The key is checked, never stored: the session remembers
      which key it was, and ends when the key is revoked.
    </p>
  </Layout>
);
