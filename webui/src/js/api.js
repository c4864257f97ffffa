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

export async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const opts = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch {
    throw new ApiError(0, 'network', serverText('network', GENERIC));
  }
  onActivity();
  return parse(res);
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
    xhr.onerror = () => reject(new ApiError(0, 'network', GENERIC));
    xhr.onload = () => {
      onActivity();
      parse(new Response(xhr.responseText, { status: xhr.status })).then(
        (body) => resolve({ status: xhr.status, body }), reject);
    };
    xhr.send(formData);
  });
}
