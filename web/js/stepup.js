// The step-up. Some acts need the person's card, signed in this login a short while ago
// (giving or resuming consent, adding a device, naming a proxy): the server answers
// card-required, the person confirms with their card here, and the act is tried once more.
import { api, Problem } from './api.js';
import { refresh } from './session.js';

// Set by app.js: the card chooser lives with the login page (login.js).
let chooseCard = null;

export function setCardChooser(fn) {
  chooseCard = fn;
}

// Runs act(); if the card is required, asks for it and runs act() again. When the person
// cancels, the card-required problem is thrown for the caller to show.
export async function withCard(act) {
  try {
    return await act();
  } catch (e) {
    if (!(e instanceof Problem && e.type === 'card-required')) throw e;
    if (!(await confirmCard())) throw e;
    return act();
  }
}

async function confirmCard() {
  const dialog = document.getElementById('step-up');
  // Escape closes the dialog without a choice: that is a cancel too.
  const closed = new Promise((resolve) => dialog.addEventListener('close', () => resolve(null), { once: true }));
  dialog.showModal();
  try {
    const tokens = await Promise.race([chooseCard(document.getElementById('step-up-cards')), closed]);
    if (!tokens) return false;
    const { nonce } = await api('POST', '/api/v1/auth/challenge?step_up=true');
    await api('POST', '/api/v1/auth/webeid', await tokens(nonce));
    await refresh();
    return true;
  } finally {
    dialog.close();
  }
}
