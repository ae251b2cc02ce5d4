// The "API Keys" page. Every piece of data from the server is put into the page as text
// (textContent, Element.append with strings, attribute values): this file never uses innerHTML.
// The page shows what the server allows; the server asks Keyseat on every request.
'use strict';

const $ = (id) => document.getElementById(id);

const state = {
  session: null,
  usage: null,
  devices: [],
  keys: null, // null when the signed-in user may not list keys
};

// ---------------------------------------------------------------- helpers

/** Creates an element; string children become text nodes. */
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || ('request failed with HTTP ' + status));
    this.status = status;
    this.body = body || {};
  }
}

async function api(method, path, body) {
  const options = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch('/api/' + path, options);
  } catch (e) {
    throw new ApiError(0, { message: 'The portal cannot be reached. Is the server still running?' });
  }
  const text = response.status === 204 ? '' : await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = { message: text };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function when(iso) {
  return iso ? dateFormat.format(new Date(iso)) : 'Never';
}

function titleCase(word) {
  return word ? word.charAt(0) + word.slice(1).toLowerCase() : '';
}

function plural(n, one, many) {
  return n + ' ' + (n === 1 ? one : many);
}

function deviceLabel(name, serial) {
  return name + ' (' + serial + ')';
}

function show(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

function setBusy(button, busy) {
  button.disabled = busy;
  button.setAttribute('aria-busy', busy ? 'true' : 'false');
}

function notice(text) {
  show($('page-notice'), text);
  show($('page-error'), '');
}

function pageError(e) {
  show($('page-notice'), '');
  show($('page-error'), e.message);
}

// ---------------------------------------------------------------- sign-in

async function load() {
  const session = await api('GET', 'session');
  state.session = session;
  $('account-name').textContent = session.account.name;
  $('loading').hidden = true;
  if (!session.signedIn) {
    showSignIn();
    return;
  }
  $('sign-in').hidden = true;
  $('user-box').hidden = false;
  $('signed-in-as').textContent = 'Signed in as ' + session.name
      + (session.role ? ' · ' + titleCase(session.role) : ' · not a member');
  $('keys-page').hidden = false;
  show($('page-notice'), '');
  show($('page-error'), '');
  await refresh();
}

function showSignIn() {
  state.session = null;
  $('keys-page').hidden = true;
  $('user-box').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-button').focus();
}

async function signIn(event) {
  event.preventDefault();
  const choice = $('sign-in-form').querySelector('input[name="user"]:checked');
  const button = $('sign-in-button');
  setBusy(button, true);
  try {
    await api('POST', 'session', { user: choice.value });
    show($('sign-in-error'), '');
    await load();
  } catch (e) {
    show($('sign-in-error'), e.message);
  } finally {
    setBusy(button, false);
  }
}

async function signOut() {
  try {
    await api('DELETE', 'session');
  } finally {
    showSignIn();
  }
}

// ---------------------------------------------------------------- the page

async function refresh() {
  const [usage, devices, keys] = await Promise.allSettled([
    api('GET', 'usage'), api('GET', 'devices'), api('GET', 'keys')]);
  const failures = [usage, devices, keys].filter((r) => r.status === 'rejected').map((r) => r.reason);
  if (failures.some((e) => e.status === 401)) {
    showSignIn();
    return;
  }
  state.usage = usage.status === 'fulfilled' ? usage.value : null;
  state.devices = devices.status === 'fulfilled' ? devices.value : [];
  state.keys = keys.status === 'fulfilled' ? keys.value : null;
  renderUsage();
  renderRoleNotice(keys.status === 'rejected' ? keys.reason : null);
  renderKeys();
  renderDevices();
  renderNewKeyButton();
  const other = [usage, devices].find((r) => r.status === 'rejected');
  if (other) pageError(other.reason);
  else if (keys.status === 'rejected' && keys.reason.status !== 403) pageError(keys.reason);
}

function renderUsage() {
  const u = state.usage;
  $('usage-banner').hidden = !u;
  if (!u) return;
  $('usage-text').textContent = u.used + ' of ' + plural(u.total, 'license', 'licenses') + ' used';
  $('usage-available').textContent = u.overLimit
    ? 'over the limit by ' + (u.used - u.total) + ': no new keys until keys are deleted'
    : u.available + ' available';
  const percent = u.total === 0 ? 100 : Math.min(100, Math.round((100 * u.used) / u.total));
  $('usage-bar').style.width = percent + '%';
  $('usage-banner').classList.toggle('full', u.available === 0);
}

function renderRoleNotice(error) {
  const box = $('role-notice');
  if (!error || error.status !== 403) {
    box.hidden = true;
    return;
  }
  const role = state.session && state.session.role;
  $('role-notice-title').textContent = role
    ? 'Key management is not available to your role (' + titleCase(role) + ').'
    : 'Key management is not available to you: you are not a member of this account.';
  $('role-notice-detail').textContent = 'Only account administrators can list, create, regenerate, '
      + 'edit or delete API keys; ask one if a device needs a key. Keyseat said: ' + error.message;
  box.hidden = false;
}

function keyedSerials() {
  return new Set((state.keys || []).map((k) => k.deviceSerial));
}

function keylessDevices() {
  const keyed = keyedSerials();
  return state.devices.filter((d) => !keyed.has(d.serial));
}

function renderNewKeyButton() {
  const button = $('new-key');
  const u = state.usage;
  let reason = '';
  if (state.keys === null) {
    reason = 'Only administrators can create keys.';
  } else if (u && u.overLimit) {
    reason = 'The account is over its license limit (' + plural(u.used, 'key', 'keys') + ', '
        + plural(u.total, 'license', 'licenses') + '). Delete keys to get back under it.';
  } else if (u && u.available === 0) {
    reason = 'No license free: all ' + plural(u.total, 'license is', 'licenses are')
        + ' in use. Delete a key or contract more licenses.';
  } else if (keylessDevices().length === 0) {
    reason = 'Every device already has a key.';
  }
  button.disabled = reason !== '';
  show($('new-key-reason'), reason);
  if (reason) button.setAttribute('aria-describedby', 'new-key-reason');
  else button.removeAttribute('aria-describedby');
}

function renderKeys() {
  const panel = $('keys-panel');
  const body = $('keys-body');
  if (state.keys === null) {
    panel.hidden = true;
    body.replaceChildren();
    return;
  }
  panel.hidden = false;
  $('keys-empty').hidden = state.keys.length > 0;
  $('keys-table').hidden = state.keys.length === 0;
  body.replaceChildren(...[...state.keys].sort(byAge).map(keyRow));
}

/** Members who may not see keys still see the devices they may read. */
function renderDevices() {
  const panel = $('devices-panel');
  panel.hidden = state.keys !== null || state.devices.length === 0;
  $('devices-body').replaceChildren(...(panel.hidden ? [] : state.devices.map((d) =>
    el('tr', { dataset: { serial: d.serial } },
      el('td', { class: 'device-name' }, d.name),
      el('td', { class: 'serial mono' }, d.serial),
      el('td', { class: 'model' }, d.model),
      el('td', { class: 'created', title: d.associatedAt }, when(d.associatedAt))))));
}

function byAge(a, b) {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1
    : a.deviceName.localeCompare(b.deviceName) || a.deviceSerial.localeCompare(b.deviceSerial);
}

function keyRow(k) {
  const device = deviceLabel(k.deviceName, k.deviceSerial);
  return el('tr', { dataset: { keyId: k.id, serial: k.deviceSerial } },
    el('td', { class: 'device-name' }, k.deviceName),
    el('td', { class: 'serial mono' }, k.deviceSerial),
    el('td', { class: 'key' },
      el('span', { class: 'mono hint', title: 'Key id ' + k.id }, k.hint),
      k.label ? el('span', { class: 'label muted' }, k.label) : null),
    el('td', { class: 'created', title: k.createdAt }, when(k.createdAt)),
    el('td', { class: 'last-used', title: k.lastUsedAt || 'never used' }, when(k.lastUsedAt)),
    el('td', { class: 'status' },
      el('span', { class: 'badge status-' + k.status.toLowerCase() }, titleCase(k.status))),
    el('td', { class: 'actions' },
      el('button', { type: 'button', class: 'regenerate', 'aria-label': 'Regenerate key for ' + device,
        onclick: () => confirmRegenerate(k) }, 'Regenerate'),
      el('button', { type: 'button', class: 'edit', 'aria-label': 'Edit key for ' + device,
        onclick: () => openEdit(k) }, 'Edit'),
      el('button', { type: 'button', class: 'delete danger-link', 'aria-label': 'Delete key for ' + device,
        onclick: () => confirmDelete(k) }, 'Delete')));
}

// ---------------------------------------------------------------- New Key

function selectedSerials() {
  return [...$('device-choices').querySelectorAll('input[name="device"]:checked')].map((i) => i.value);
}

function openNewKey() {
  const u = state.usage;
  $('select-intro').textContent = 'Select the devices that need a key. Each key uses one license; '
      + u.available + ' of ' + u.total + ' are free.';
  $('device-choices').replaceChildren(...keylessDevices().map((d) =>
    el('label', { class: 'device-choice' },
      el('input', { type: 'checkbox', name: 'device', value: d.serial, onchange: updateSelection }),
      el('span', { class: 'device-name' }, d.name),
      el('span', { class: 'mono' }, d.serial),
      el('span', { class: 'muted' }, d.model))));
  $('new-key-label').value = '';
  showStep('select');
  updateSelection();
  $('new-key-dialog').showModal();
}

function showStep(step) {
  const select = step === 'select';
  $('step-select').hidden = !select;
  $('step-review').hidden = select;
  $('review-button').hidden = !select;
  $('review-back').hidden = select;
  $('create-keys').hidden = select;
  show($('new-key-error'), '');
}

function updateSelection() {
  const n = selectedSerials().length;
  const available = state.usage.available;
  $('selection-count').textContent = n === 0 ? 'No device selected.'
    : plural(n, 'device', 'devices') + ' selected'
      + (n > available ? ': more than the ' + plural(available, 'free license', 'free licenses') : '.');
  $('review-button').disabled = n === 0;
}

function review() {
  const serials = selectedSerials();
  const bySerial = new Map(state.devices.map((d) => [d.serial, d]));
  const available = state.usage.available;
  $('review-intro').textContent = 'Create ' + plural(serials.length, 'API key', 'API keys')
      + '? This uses ' + serials.length + ' of the ' + plural(available, 'free license', 'free licenses') + '.';
  $('review-list').replaceChildren(...serials.map((s) =>
    el('li', {}, el('span', { class: 'device-name' }, bySerial.get(s).name), ' ', el('span', { class: 'mono' }, s))));
  show($('review-warning'), serials.length > available
    ? 'Only ' + plural(available, 'license is', 'licenses are') + ' free. Keys are created all or '
      + 'nothing, so Keyseat will refuse this request: go back and select fewer devices.'
    : '');
  showStep('review');
  $('create-keys').focus();
}

async function createKeys() {
  const button = $('create-keys');
  setBusy(button, true);
  try {
    const label = $('new-key-label').value.trim();
    const result = await api('POST', 'keys', { serials: selectedSerials(), label });
    $('new-key-dialog').close();
    notice('Created ' + plural(result.keys.length, 'key', 'keys') + '.');
    await refresh();
    showSecrets(result.keys, result.keys.length === 1 ? 'Copy your new API key now' : 'Copy your new API keys now');
  } catch (e) {
    show($('new-key-error'), e.message);
  } finally {
    setBusy(button, false);
  }
}

// ---------------------------------------------------------------- secrets, shown once

function showSecrets(issued, title) {
  $('secrets-title').textContent = title;
  $('secret-list').replaceChildren(...issued.map((item) => {
    const device = deviceLabel(item.key.deviceName, item.key.deviceSerial);
    const input = el('input', { type: 'text', class: 'secret mono', readonly: true, spellcheck: 'false',
      'aria-label': 'API key for ' + device, dataset: { serial: item.key.deviceSerial } });
    input.value = item.secret;
    input.addEventListener('focus', () => input.select());
    const copy = el('button', { type: 'button', class: 'copy', 'aria-label': 'Copy API key for ' + device }, 'Copy');
    copy.addEventListener('click', () => copySecret(input, copy));
    return el('li', { class: 'secret-item' },
      el('div', { class: 'secret-device' }, el('strong', {}, item.key.deviceName), ' ',
        el('span', { class: 'mono muted' }, item.key.deviceSerial)),
      el('div', { class: 'secret-row' }, input, copy));
  }));
  $('secrets-dialog').showModal();
}

async function copySecret(input, button) {
  let copied = false;
  try {
    await navigator.clipboard.writeText(input.value);
    copied = true;
  } catch (e) {
    input.focus();
    input.select();
    try {
      copied = document.execCommand('copy');
    } catch (e2) {
      copied = false;
    }
  }
  button.textContent = copied ? 'Copied' : 'Press Ctrl+C';
  button.classList.toggle('copied', copied);
}

function closeSecrets() {
  $('secrets-dialog').close();
}

// ---------------------------------------------------------------- regenerate, delete

let pendingConfirm = null;

function confirmAction(title, message, okText, run) {
  $('confirm-title').textContent = title;
  $('confirm-message').textContent = message;
  $('confirm-ok').textContent = okText;
  show($('confirm-error'), '');
  pendingConfirm = run;
  $('confirm-dialog').showModal();
  $('confirm-cancel').focus();
}

async function confirmed() {
  const button = $('confirm-ok');
  setBusy(button, true);
  try {
    await pendingConfirm();
    $('confirm-dialog').close();
  } catch (e) {
    show($('confirm-error'), e.message);
  } finally {
    setBusy(button, false);
  }
}

function confirmRegenerate(k) {
  const device = deviceLabel(k.deviceName, k.deviceSerial);
  confirmAction('Regenerate key?',
    'The key for ' + device + ' gets a new secret. The current secret stops working immediately: '
      + 'update the device right after.',
    'Regenerate', async () => {
      const issued = await api('POST', 'keys/' + encodeURIComponent(k.id) + '/regenerate');
      notice('Regenerated the key for ' + device + '.');
      await refresh();
      $('confirm-dialog').close();
      showSecrets([issued], 'Copy the new API key now');
    });
}

function confirmDelete(k) {
  const device = deviceLabel(k.deviceName, k.deviceSerial);
  confirmAction('Delete key?',
    'Delete the key for ' + device + '? The device can no longer send data with it, and its license '
      + 'returns to the pool. This cannot be undone.',
    'Delete', async () => {
      await api('DELETE', 'keys/' + encodeURIComponent(k.id));
      notice('Deleted the key for ' + device + '; its license is free again.');
      await refresh();
    });
}

// ---------------------------------------------------------------- edit

let editing = null;

function openEdit(k) {
  editing = k;
  $('edit-subtitle').textContent = deviceLabel(k.deviceName, k.deviceSerial) + ' · ' + k.hint;
  $('edit-label').value = k.label;
  $('edit-suspended').checked = k.status === 'SUSPENDED';
  $('edit-device').replaceChildren(
    el('option', { value: '' }, 'Keep ' + deviceLabel(k.deviceName, k.deviceSerial)),
    ...keylessDevices().map((d) => el('option', { value: d.serial }, 'Move to ' + deviceLabel(d.name, d.serial))));
  show($('edit-error'), '');
  $('edit-dialog').showModal();
}

async function saveEdit() {
  const k = editing;
  const change = {};
  const label = $('edit-label').value.trim();
  if (label !== k.label) change.label = label;
  const suspended = $('edit-suspended').checked;
  if (suspended !== (k.status === 'SUSPENDED')) change.suspended = suspended;
  if ($('edit-device').value) change.rebindTo = $('edit-device').value;
  if (Object.keys(change).length === 0) {
    $('edit-dialog').close();
    return;
  }
  const button = $('edit-save');
  setBusy(button, true);
  try {
    const saved = await api('PATCH', 'keys/' + encodeURIComponent(k.id), change);
    $('edit-dialog').close();
    notice('Saved the key for ' + deviceLabel(saved.deviceName, saved.deviceSerial) + '.');
    await refresh();
  } catch (e) {
    show($('edit-error'), e.message);
  } finally {
    setBusy(button, false);
  }
}

// ---------------------------------------------------------------- wiring

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('new-key').addEventListener('click', openNewKey);
  $('new-key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (!$('step-select').hidden && selectedSerials().length > 0) review();
  });
  $('new-key-cancel').addEventListener('click', () => $('new-key-dialog').close());
  $('review-button').addEventListener('click', review);
  $('review-back').addEventListener('click', () => showStep('select'));
  $('create-keys').addEventListener('click', createKeys);
  $('secrets-done').addEventListener('click', closeSecrets);
  // The secrets leave the page when their dialog closes, and Escape cannot close it by accident.
  $('secrets-dialog').addEventListener('cancel', (e) => e.preventDefault());
  $('secrets-dialog').addEventListener('close', () => $('secret-list').replaceChildren());
  $('confirm-cancel').addEventListener('click', () => $('confirm-dialog').close());
  $('confirm-ok').addEventListener('click', confirmed);
  $('edit-cancel').addEventListener('click', () => $('edit-dialog').close());
  $('edit-save').addEventListener('click', saveEdit);
  load().catch((e) => {
    $('loading').hidden = true;
    $('keys-page').hidden = false;
    pageError(e);
  });
});
