/**
 * The admin token: asked once, kept in sessionStorage (gone with the tab), sent only as a Bearer
 * header. It is never put in a URL and never logged.
 */
const KEY = 'edgewatch.admin_token';

export function storedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

let pending: Promise<void> | null = null;

/** Show the token dialog (once for any number of callers); resolves when a token was entered. */
export function askToken(message: string): Promise<void> {
  if (pending !== null) return pending;
  const dialog = document.getElementById('login') as HTMLDialogElement;
  const input = document.getElementById('login-token') as HTMLInputElement;
  const error = document.getElementById('login-error') as HTMLElement;
  error.textContent = message;
  input.value = '';
  pending = new Promise((resolve) => {
    const form = document.getElementById('login-form') as HTMLFormElement;
    const done = (ev: Event): void => {
      ev.preventDefault();
      const token = input.value.trim();
      if (token === '') return;
      sessionStorage.setItem(KEY, token);
      form.removeEventListener('submit', done);
      dialog.close();
      pending = null;
      resolve();
    };
    form.addEventListener('submit', done);
  });
  if (!dialog.open) dialog.showModal();
  return pending;
}
