import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderApp } from '../support/app.tsx';

afterEach(() => vi.unstubAllGlobals());

/** A fake XMLHttpRequest: reports progress, then answers with `status`. */
function stubXhr(status: number, body = '') {
  const sent: { url: string; headers: Record<string, string>; size: number }[] = [];
  class FakeXhr {
    status = 0;
    statusText = '';
    responseText = '';
    withCredentials = false;
    upload: { onprogress?: (e: { loaded: number; total: number; lengthComputable: boolean }) => void } = {};
    onload?: () => void;
    onerror?: () => void;
    private url = '';
    private headers: Record<string, string> = {};
    open(_m: string, url: string) {
      this.url = url;
    }
    setRequestHeader(k: string, v: string) {
      this.headers[k] = v;
    }
    send(file: Blob) {
      sent.push({ url: this.url, headers: this.headers, size: file.size });
      setTimeout(() => {
        this.upload.onprogress?.({ loaded: file.size / 2, total: file.size, lengthComputable: true });
        this.status = status;
        this.responseText = body;
        this.onload?.();
      }, 5);
    }
  }
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  return sent;
}

function routes(completeStatus: number) {
  let profiles = 80;
  return {
    '/data/foundation/import/summary': () => ({ body: { sandboxName: 'prod', profiles, events: 1500 } }),
    '/data/foundation/import/batches': (req: { method: string; url: string }) => {
      if (req.method === 'POST' && req.url.endsWith('/batches'))
        return { status: 201, body: { id: 'b-1' } };
      if (req.method === 'POST' && req.url.includes('action=COMPLETE')) {
        if (completeStatus !== 200)
          return {
            status: completeStatus,
            body: { detail: 'Batch b-1 failed; nothing was ingested: people.ndjson:2: invalid JSON' },
          };
        profiles = 81;
        return { body: { id: 'b-1', status: 'success', metrics: { profiles: 81, events: 1500 } } };
      }
      return { body: { batches: [] } };
    },
    '/data/foundation/catalog/dataSets': () => ({
      body: {
        ds1: {
          id: 'ds1',
          name: 'People',
          created: 1,
          schemaRef: { id: 'https://ns.adobe.com/xdm/context/profile__union', contentType: '' },
          fileDescription: { format: 'parquet' },
        },
      },
    }),
    '/api/schema': () => ({
      body: {
        profile: { kind: 'object', fields: { loyalty: { kind: 'object', fields: { points: { kind: 'int' } } } } },
        event: { kind: 'object', fields: { eventType: { kind: 'string' } } },
      },
    }),
  };
}

async function chooseAndUpload() {
  const select = await screen.findByRole('combobox', { name: 'Dataset' }, { timeout: 10_000 });
  await screen.findByRole('option', { name: 'People (profiles)' });
  await userEvent.selectOptions(select, 'ds1');
  const file = new File(['{"a":1}\n{"b":2}\n'], 'people.ndjson', { type: 'application/x-ndjson' });
  fireEvent.change(screen.getByLabelText('File'), { target: { files: [file] } });
  await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
}

describe('datasets page', () => {
  it('shows counts and schema, uploads a file through a batch and shows the new counts', { timeout: 30_000 }, async () => {
    const sent = stubXhr(200);
    const { calls } = renderApp('/datasets', routes(200));
    await screen.findByTestId('profile-count', {}, { timeout: 10_000 });
    await waitFor(() => expect(screen.getByTestId('profile-count').textContent).toBe('80'));
    await waitFor(() => expect(screen.getByTestId('event-count').textContent).toBe('1,500'));
    expect(await screen.findByRole('table', { name: 'Profile fields' })).toBeDefined();
    expect(screen.getByRole('table', { name: 'Profile fields' }).textContent).toContain('loyalty.points');
    await chooseAndUpload();
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/now has 81 profiles/));
    expect(calls.find((c) => c.method === 'POST' && c.url.endsWith('/import/batches'))!.body).toEqual({
      datasetId: 'ds1',
      inputFormat: { format: 'json' },
    });
    expect(sent[0]!.url).toBe('/data/foundation/import/batches/b-1/datasets/ds1/files/people.ndjson');
    expect(sent[0]!.headers['Content-Type']).toBe('application/octet-stream');
    expect(sent[0]!.headers['x-csrf-token']).toBe('csrf-123');
    expect(screen.getByRole('progressbar', { name: 'Upload progress' })).toHaveProperty('value', 100);
    await waitFor(() => expect(screen.getByTestId('profile-count').textContent).toBe('81'));
  });

  it('shows the line at fault of a bad file', { timeout: 30_000 }, async () => {
    stubXhr(200);
    renderApp('/datasets', routes(400));
    await chooseAndUpload();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('people.ndjson:2');
    expect(within(document.body).getByTestId('profile-count').textContent).toBe('80');
  });
});
