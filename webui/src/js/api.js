// The JSON API of CONTRACT.md. Every change carries the CSRF token; every
// error becomes an ApiError with the server's message: its Italian, or on the
// English screen the English of its code (i18n.js serverText).
import { serverText } from './i18n.js';

let csrfToken = '';
let onUnauthenticated = () => {};
let onActivity = () => {};

export class ApiError extends Error {
  constructor(status, code, message, triesLeft) {
    super(message);
    this.status = status;
    this.code = code;
    this.triesLeft = triesLeft;  // a card's PIN tries left, where the server counts them
  }
}

export function setCsrf(token) { csrfToken = token || ''; }
export function csrf() { return csrfToken; }
export function onSessionLost(fn) { onUnauthenticated = fn; }
export function onServerContact(fn) { onActivity = fn; }

const GENERIC = 'Servizio momentaneamente non disponibile. Riprovi tra poco.';
const SLOW = 'Il servizio non ha risposto in tempo. Riprovi tra poco.';
// How long an answer is waited for: a JSON call, a file from the stick, an
// upload of up to 5 MB. A scan has no bound here: the server bounds it (the
// scanner's timeout, the time for "Pagina successiva?").
export const WAIT_MS = { json: 30000, file: 60000, upload: 180000 };

async function parse(res) {
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!res.ok) {
    const err = body && body.error ? body.error : { code: 'http_' + res.status, message: GENERIC };
    if (res.status === 401 && err.code === 'unauthenticated') onUnauthenticated();
    throw new ApiError(res.status, err.code, serverText(err.code, err.message || GENERIC, err.tries_left),
      err.tries_left);
  }
  return body;
}

// One fetch with the CSRF token, a bound on the wait (0: none) and the
// errors every call shares: no network, no answer in time.
async function send(method, path, body, timeoutMs) {
  const headers = { Accept: 'application/json' };
  const opts = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  const abort = new AbortController();
  const timer = timeoutMs > 0 ? setTimeout(() => abort.abort(), timeoutMs) : 0;
  opts.signal = abort.signal;
  try {
    const res = await fetch(path, opts);
    onActivity();
    return res;
  } catch {
    if (abort.signal.aborted) throw new ApiError(0, 'timeout', serverText('timeout', SLOW));
    throw new ApiError(0, 'network', serverText('network', GENERIC));
  } finally {
    clearTimeout(timer);
  }
}

export async function request(method, path, body) {
  return parse(await send(method, path, body, WAIT_MS.json));
}

// A file answered by the API (a scan, a file from the stick): its bytes and
// headers, or the same ApiError as any call (a 401 ends the session).
export async function fetchFile(method, path, body, timeoutMs = WAIT_MS.file) {
  const res = await send(method, path, body, timeoutMs);
  if (!res.ok) await parse(res);  // throws
  return { blob: await res.blob(), headers: res.headers };
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);

// multipart/form-data with upload progress (0..1) for the progress bar.
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.timeout = WAIT_MS.upload;
    xhr.onerror = () => reject(new ApiError(0, 'network', serverText('network', GENERIC)));
    xhr.ontimeout = () => reject(new ApiError(0, 'timeout', serverText('timeout', SLOW)));
    xhr.onload = () => {
      onActivity();
      parse(new Response(xhr.responseText, { status: xhr.status })).then(
        (body) => resolve({ status: xhr.status, body }), reject);
    };
    xhr.send(formData);
  });
}
