// The JSON API as a practice system calls it: one request with a personal access token.

/**
 * Returns `api(token, method, url, body, headers)` for the server at `base()` (a function, as
 * the server starts after the test file is loaded). A body that is a Buffer goes as it is (a
 * file); any other body as JSON. The answer: its status and its JSON (or its text when it is
 * not JSON; null when empty).
 */
export function apiClient(base) {
  return async (token, method, url, body, headers = {}) => {
    const raw = Buffer.isBuffer(body);
    const r = await fetch(base() + url, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body && !raw ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? (raw ? body : JSON.stringify(body)) : undefined,
    });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    return { status: r.status, json };
  };
}
