// A call from an agency's or a service's system to Mado's mTLS listener, with the
// organisation's own certificate from mado-testenv (MADOTEST_ORGS, MADOTEST_MTLS_PORT).
//
// Each call has a connection of its own (agent: false). Node's default agent keeps a
// finished connection for 5 s and Mado closes an idle one after keep_alive_ms (5 s by
// default): a POST sent on a kept connection just as the server closes it fails with
// "socket hang up", and a POST may not be sent again blindly.
import https from 'node:https';
import path from 'node:path';
import { readFileSync } from 'node:fs';

// POSTs body as JSON; resolves to the status, the text and the parsed body ({} if none).
export function agencyPost(org, pathname, body) {
  const orgs = process.env.MADOTEST_ORGS;
  const port = process.env.MADOTEST_MTLS_PORT;
  if (!orgs || !port) return Promise.reject(new Error('run with mado-testenv --access'));
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = https.request({
      host: '127.0.0.1', port, path: pathname, method: 'POST', agent: false,
      cert: readFileSync(path.join(orgs, 'cards', `${org}.crt`)),
      key: readFileSync(path.join(orgs, 'cards', `${org}.key`)),
      rejectUnauthorized: false,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
    }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, text, body: text ? JSON.parse(text) : {} });
        } catch (e) {
          reject(new Error(`${pathname} answered ${res.statusCode} with a body that is not JSON`));
        }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}
