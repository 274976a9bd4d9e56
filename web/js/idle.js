// Shared screens: the page logs out and wipes itself after the session's idle time even
// when nothing is asked of the server, with a warning a minute before ("stay logged in").
// The server ends the session after the same time without a request; a request resets
// both clocks.
import { api } from './api.js';
import { session, logout } from './session.js';

let warnTimer = 0;
let endTimer = 0;

function stop() {
  clearTimeout(warnTimer);
  clearTimeout(endTimer);
  warnTimer = endTimer = 0;
  const d = document.getElementById('idle-warning');
  if (d.open) d.close();
}

async function end() {
  stop();
  await logout().catch(() => {});
  // Nothing of the resident's page stays: the page is loaded anew at the login page.
  sessionStorage.clear();
  location.replace('#/login?error=session-expired');
  location.reload();
}

function start() {
  stop();
  const s = session();
  if (!s || !s.idle) return;
  const idle = s.idle * 1000;
  const warnAt = idle > 120000 ? idle - 60000 : idle / 2;
  warnTimer = setTimeout(() => {
    const d = document.getElementById('idle-warning');
    if (!d.open) d.showModal();
  }, warnAt);
  endTimer = setTimeout(end, idle);
  // How many times the clocks were set: a check (or a screen reader's script) can wait
  // for "stay logged in" to have been answered before it lets time pass.
  const d = document.getElementById('idle-warning');
  d.dataset.armed = String(Number(d.dataset.armed || 0) + 1);
}

export function initIdle() {
  document.addEventListener('mado:session', start);
  // Every answer from the server means the session was just used.
  document.addEventListener('mado:activity', () => {
    if (endTimer) start();
  });
  document.getElementById('idle-stay').addEventListener('click', async () => {
    stop();
    await api('GET', '/api/v1/me/session').catch(() => {});
    start();
  });
  document.getElementById('idle-logout').addEventListener('click', end);
}
