import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Button, Form, Input, Label, TextField } from 'react-aria-components';
import { useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/endpoints.ts';
import { apiState } from '../api/http.ts';
import { keys } from '../api/queries.ts';

export function LoginPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = params.get('next');
  const target = next && next.startsWith('/') && !next.startsWith('//') ? next : '/segments';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await api.login(username, password);
      apiState.csrfToken = session.csrfToken;
      qc.setQueryData(keys.session, session);
      void navigate(target, { replace: true });
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login">
      <main className="login-card">
        <h1>Segmentation Studio</h1>
        <h2>Sign in</h2>
        <Form onSubmit={(e) => void submit(e)} className="form">
          <TextField
            value={username}
            onChange={setUsername}
            isRequired
            autoComplete="username"
            name="username"
          >
            <Label>Username</Label>
            <Input />
          </TextField>
          <TextField
            value={password}
            onChange={setPassword}
            isRequired
            type="password"
            autoComplete="current-password"
            name="password"
          >
            <Label>Password</Label>
            <Input />
          </TextField>
          {error && (
            <p role="alert" className="error">
              {error}
            </p>
          )}
          <Button type="submit" className="btn btn-primary" isDisabled={busy}>
            Sign in
          </Button>
        </Form>
      </main>
    </div>
  );
}
