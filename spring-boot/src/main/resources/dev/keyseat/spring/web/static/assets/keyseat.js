/*
 * The Keyseat "API Keys" page: plain JavaScript, no build step, no dependencies.
 *
 * Every piece of text that comes from the server (device names, labels, problem details, audit
 * entries) goes into the page as a text node (textContent / createTextNode), never as markup, and
 * inside a <bdi> with its bidi control characters shown as visible marks, so that a hostile name
 * can neither run code nor reorder what the administrator reads.
 */
(() => {
  'use strict';

  const root = document.getElementById('keyseat');
  if (!root) {
    return;
  }
  const $ = (id) => document.getElementById(id);
  const script = document.currentScript || document.querySelector('script[src$="keyseat.js"]');

  /** The page's base path: data-base, else where this script is served from ({base}/assets/keyseat.js). */
  const base = (() => {
    const given = root.dataset.base;
    if (given) {
      return given.replace(/\/+$/, '');
    }
    const src = script ? new URL(script.src, location.href).pathname : location.pathname;
    return src.replace(/\/assets\/keyseat\.js$/, '').replace(/\/+$/, '');
  })();
  const account = root.dataset.account || new URLSearchParams(location.search).get('account') || '';
  const apiBase = base + '/api/accounts/' + encodeURIComponent(account);

  const ROLE_NAMES = { ADMIN: 'Administrator', MANAGER: 'Manager', VIEWER: 'Viewer', OPERATOR: 'Operator' };
  const STATUS_NAMES = { ACTIVE: 'Active', SUSPENDED: 'Suspended', EXPIRED: 'Expired', OVER_LIMIT: 'Over the limit' };
  const PAGE_SIZE = Number(root.dataset.pageSize) || 20;
  const DEVICE_PAGE_SIZE = 50;

  const state = {
    me: null,
    usage: null,
    keys: { q: '', sort: 'deviceName', dir: 'asc', cursors: [null], index: 0, next: null, total: 0, stale: false, items: [] },
    devices: { q: '', page: 0, total: 0 },
    audit: { cursors: [null], index: 0, next: null },
  };

  // ------------------------------------------------------------------ text, safely

  /** Bidi controls (embeddings, overrides, isolates, marks) made visible as [U+202E]. */
  const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
  function visible(s) {
    return String(s ?? '').replace(BIDI, (c) => '[U+' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') + ']');
  }

  /** A <bdi> holding server text as a text node. */
  function bdi(s) {
    const b = document.createElement('bdi');
    b.textContent = visible(s);
    return b;
  }

  /** A small element builder: children are nodes or strings (text nodes); never markup. */
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) {
        continue;
      }
      if (k === 'class') {
        e.className = v;
      } else if (k === 'text') {
        e.textContent = v;
      } else if (k.startsWith('on')) {
        e.addEventListener(k.slice(2), v);
      } else {
        e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) {
      if (c !== null && c !== undefined) {
        e.append(typeof c === 'string' ? document.createTextNode(c) : c);
      }
    }
    return e;
  }

  /** A truncated cell: the whole text wraps on phones and is the tooltip on desktops. */
  function truncated(s) {
    const span = h('span', { class: 'ks-trunc', title: visible(s) });
    span.append(bdi(s));
    return span;
  }

  const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const DATE_TIME = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' });
  function fmtDate(iso) {
    return iso ? DATE.format(new Date(iso)) : '';
  }
  function fmtDateTime(iso) {
    return iso ? DATE_TIME.format(new Date(iso)) : '';
  }
  function plural(n, one, many) {
    return n + ' ' + (n === 1 ? one : many);
  }
  function deviceText(name, serial) {
    return (name ? visible(name) + ' ' : '') + '(' + visible(serial) + ')';
  }

  // ------------------------------------------------------------------ the API

  class Problem extends Error {
    constructor(status, body) {
      const detail = body && (body.detail || body.title);
      super(detail || describeStatus(status));
      this.status = status;
      this.type = body && body.type ? String(body.type) : '';
      this.body = body;
    }
  }

  function describeStatus(status) {
    if (status === 401) {
      return 'Your session has ended. Sign in again to continue.';
    }
    if (status === 403) {
      return 'Your role does not allow this.';
    }
    if (status === 0) {
      return 'The server could not be reached. Check the connection and try again.';
    }
    return 'The server could not complete the request (HTTP ' + status + '). Try again in a moment.';
  }

  function csrfToken() {
    const m = document.cookie.match(/(?:^|;\s*)XSRF-TOKEN=([^;]*)/);
    return m ? decodeURIComponent(m[1]) : null;
  }

  async function api(method, path, body) {
    const headers = { Accept: 'application/json, application/problem+json' };
    if (method !== 'GET') {
      const token = csrfToken();
      if (token) {
        headers['X-XSRF-TOKEN'] = token;
      }
    }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch(apiBase + path, {
        method, headers, credentials: 'same-origin', redirect: 'manual',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new Problem(0, null);
    }
    if (response.type === 'opaqueredirect') {
      throw new Problem(401, null);
    }
    const text = response.status === 204 ? '' : await response.text();
    let json = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch (e) {
        json = null;
      }
    }
    if (!response.ok) {
      throw new Problem(response.status, json);
    }
    return json;
  }

  // ------------------------------------------------------------------ messages

  function say(message) {
    const m = $('ks-message');
    m.textContent = visible(message);
    m.hidden = false;
    $('ks-error').hidden = true;
  }

  function fail(error) {
    const e = $('ks-error');
    e.textContent = visible(error && error.message ? error.message : String(error));
    e.hidden = false;
    $('ks-message').hidden = true;
  }

  // GETs what a part of the page shows; a failure is shown as the page's error and answers null.
  async function getOrFail(path) {
    try {
      return await api('GET', path);
    } catch (e) {
      fail(e);
      return null;
    }
  }

  function clearMessages() {
    $('ks-message').hidden = true;
    $('ks-error').hidden = true;
  }

  function inlineError(id, error) {
    const e = $(id);
    if (!error) {
      e.hidden = true;
      e.textContent = '';
      return;
    }
    e.textContent = visible(error.message || String(error));
    e.hidden = false;
  }

  // Calls search(q) with the trimmed text of a search field once typing pauses for 250 ms.
  function onSearch(inputId, search) {
    let timer = null;
    $(inputId).addEventListener('input', (event) => {
      clearTimeout(timer);
      const q = event.target.value.trim();
      timer = setTimeout(() => search(q), 250);
    });
  }

  // Wires the Previous and Next buttons of a table paged by cursors (the keys, the audit log):
  // pages() is its current { cursors, index, next }, with next null on the last page; load() shows
  // the page at index.
  function cursorPager(name, pages, load) {
    $(name + '-next').addEventListener('click', () => {
      const p = pages();
      if (p.next === null) {
        return;
      }
      p.cursors = p.cursors.slice(0, p.index + 1);
      p.cursors.push(p.next);
      p.index += 1;
      load();
    });
    $(name + '-prev').addEventListener('click', () => {
      const p = pages();
      if (p.index > 0) {
        p.index -= 1;
        load();
      }
    });
  }

  // Runs a dialog's or form's action with its button disabled meanwhile; a failure shows in the
  // dialog's or form's inline error.
  async function whileBusy(buttonId, errorId, action) {
    const button = $(buttonId);
    button.disabled = true;
    try {
      await action();
    } catch (e) {
      inlineError(errorId, e);
    } finally {
      button.disabled = false;
    }
  }

  // ------------------------------------------------------------------ dialogs

  const openers = new Map();

  function focusables(dialog) {
    return [...dialog.querySelectorAll('button, input, select, textarea, [tabindex]:not([tabindex="-1"])')]
      .filter((e) => !e.disabled && !e.closest('[hidden]') && e.offsetParent !== null);
  }

  function openDialog(dialog, focus) {
    openers.set(dialog, document.activeElement);
    if (!dialog.open) {
      dialog.showModal();
    }
    const target = focus || focusables(dialog)[0];
    if (target) {
      target.focus();
    }
  }

  function closeDialog(dialog) {
    if (dialog.open) {
      dialog.close();
    }
  }

  for (const dialog of document.querySelectorAll('#keyseat dialog')) {
    // Escape closes (the browser sends "cancel"); Tab and Shift+Tab stay inside the dialog.
    dialog.addEventListener('keydown', (event) => {
      if (event.key !== 'Tab') {
        return;
      }
      const items = focusables(dialog);
      if (items.length === 0) {
        event.preventDefault();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    dialog.addEventListener('close', () => {
      const opener = openers.get(dialog);
      openers.delete(dialog);
      if (opener && document.contains(opener) && typeof opener.focus === 'function') {
        opener.focus();
      }
    });
    for (const cancel of dialog.querySelectorAll('.ks-cancel')) {
      cancel.addEventListener('click', () => closeDialog(dialog));
    }
  }

  // ------------------------------------------------------------------ start

  async function start() {
    if (!account) {
      $('ks-loading').hidden = true;
      fail(new Error('No account given: open the page with ?account=<account id>, or set data-account on the page.'));
      return;
    }
    $('ks-account').textContent = '';
    $('ks-account').append('Account ', bdi(account));
    setUpLogout();
    try {
      state.me = await api('GET', '/me');
    } catch (e) {
      $('ks-loading').hidden = true;
      fail(e);
      return;
    }
    const me = state.me;
    const roleName = ROLE_NAMES[me.role] || visible(me.role);
    $('ks-user').textContent = '';
    $('ks-user').append('Signed in as ', bdi(me.user), ' · ' + roleName);
    root.dataset.role = me.role;
    $('ks-loading').hidden = true;
    $('ks-app').hidden = false;

    const admin = me.role === 'ADMIN';
    $('tab-audit').hidden = !admin;
    if (!admin) {
      showNotice(me.role);
      $('tab-keys').hidden = true;
      selectTab('devices');
    } else {
      selectTab('keys');
    }
    await Promise.all([loadUsage(), admin ? loadDaily() : Promise.resolve(), admin ? loadKeys() : Promise.resolve()]);
  }

  function setUpLogout() {
    const action = root.dataset.logout;
    const form = $('ks-logout');
    if (!action) {
      form.hidden = true;
      return;
    }
    form.action = action;
    form.hidden = false;
    // Posted with the CSRF header, as the API calls are (the cookie's raw token is accepted in the
    // header), then the browser follows to where the host sends signed-out users.
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = csrfToken();
      try {
        const response = await fetch(form.action, { method: 'POST', credentials: 'same-origin',
          headers: token ? { 'X-XSRF-TOKEN': token } : {} });
        location.assign(response.url || form.action);
      } catch (e) {
        fail(new Problem(0, null));
      }
    });
  }

  function showNotice(role) {
    const notice = $('ks-notice');
    $('ks-notice-title').textContent = 'API key management is available to administrators only.';
    $('ks-notice-detail').textContent = role === 'MANAGER'
      ? 'As a manager you associate and rename the account\'s devices; ask an administrator to create, regenerate or delete API keys.'
      : 'As a ' + (ROLE_NAMES[role] || 'member').toLowerCase() + ' you can see the license usage and the devices; ask an administrator for changes.';
    notice.hidden = false;
  }

  // ------------------------------------------------------------------ tabs

  const TABS = ['keys', 'devices', 'audit'];
  function selectTab(name) {
    for (const t of TABS) {
      const tab = $('tab-' + t);
      const on = t === name;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      $('panel-' + t).hidden = !on;
    }
    if (name === 'devices') {
      loadDevices();
    } else if (name === 'audit') {
      state.audit = { cursors: [null], index: 0, next: null };
      loadAudit();
    }
  }
  for (const t of TABS) {
    $('tab-' + t).addEventListener('click', () => selectTab(t));
  }
  document.querySelector('#keyseat [role=tablist]').addEventListener('keydown', (event) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') {
      return;
    }
    const shown = TABS.filter((t) => !$('tab-' + t).hidden);
    const current = shown.findIndex((t) => $('tab-' + t).getAttribute('aria-selected') === 'true');
    const next = shown[(current + (event.key === 'ArrowRight' ? 1 : shown.length - 1)) % shown.length];
    selectTab(next);
    $('tab-' + next).focus();
  });

  // ------------------------------------------------------------------ usage and charts

  async function loadUsage() {
    const u = await getOrFail('/usage');
    if (u === null) {
      return;
    }
    state.usage = u;
    $('usage-text').textContent = 'This account uses ' + u.used + ' of ' + u.total + ' API licenses; '
      + u.available + ' ' + (u.available === 1 ? 'is' : 'are') + ' free.';
    const bar = $('usage-bar');
    bar.style.width = (u.total > 0 ? Math.min(100, Math.round(100 * u.used / u.total)) : 0) + '%';
    bar.classList.toggle('ks-full', u.available <= 0);
    const ending = $('usage-ending');
    if (u.ending > 0 && u.nextEnd) {
      ending.textContent = u.ending + (u.ending === 1 ? ' license ends on ' : ' licenses end on ') + fmtDate(u.nextEnd) + '.';
      ending.hidden = false;
    } else {
      ending.hidden = true;
    }
    updateNewKeyButton();
  }

  function updateNewKeyButton() {
    const button = $('new-key');
    const reason = $('new-key-reason');
    const u = state.usage;
    if (u && u.available <= 0) {
      button.disabled = true;
      reason.textContent = 'All ' + plural(u.total, 'API license is', 'API licenses are') + ' in use. Delete a key you no longer use, or contract more licenses.';
    } else {
      button.disabled = false;
      reason.textContent = '';
    }
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      e.setAttribute(k, String(v));
    }
    return e;
  }

  async function loadDaily() {
    let series;
    try {
      series = await api('GET', '/usage/daily?days=30');
    } catch (e) {
      return; // the chart is optional: the table still works
    }
    const days = (series && series.days) || [];
    const total = days.reduce((s, d) => s + d.count, 0);
    const max = Math.max(1, ...days.map((d) => d.count));
    const width = 300;
    const height = 90;
    const gap = 2;
    const barWidth = days.length ? width / days.length - gap : 0;
    const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, preserveAspectRatio: 'none', role: 'img', id: 'daily-svg',
      'aria-label': plural(total, 'verification', 'verifications') + ' in the last ' + days.length + ' days; the busiest day had ' + (days.length ? max : 0) + '.' });
    days.forEach((d, i) => {
      const barHeight = d.count === 0 ? 1 : Math.max(2, Math.round((height - 4) * d.count / max));
      const rect = svg('rect', { x: i * (barWidth + gap), y: height - barHeight, width: Math.max(1, barWidth), height: barHeight,
        rx: 1, fill: d.count === 0 ? '#c9d1d9' : '#0a6e69', 'data-date': d.date, 'data-count': d.count });
      const title = svg('title');
      title.textContent = d.date + ': ' + plural(d.count, 'verification', 'verifications');
      rect.append(title);
      chart.append(rect);
    });
    const holder = $('daily-chart');
    holder.replaceChildren(chart);
    $('daily-caption').textContent = 'Verifications per day, last ' + days.length + ' days (' + total + ' in all)';
    $('daily-figure').hidden = false;
  }

  function sparkline(days) {
    const width = 96;
    const height = 24;
    const total = days.reduce((s, d) => s + d.count, 0);
    const max = Math.max(1, ...days.map((d) => d.count));
    const step = days.length > 1 ? width / (days.length - 1) : width;
    const points = days.map((d, i) => (i * step).toFixed(1) + ',' + (height - 2 - (height - 4) * d.count / max).toFixed(1)).join(' ');
    const s = svg('svg', { class: 'ks-spark', viewBox: '0 0 ' + width + ' ' + height, role: 'img',
      'aria-label': plural(total, 'verification', 'verifications') + ' in the last ' + days.length + ' days' });
    s.append(svg('polyline', { points, fill: 'none', stroke: total === 0 ? '#9aa6b2' : '#0a6e69', 'stroke-width': 1.5 }));
    return s;
  }

  async function loadSparkline(key, cell) {
    try {
      const series = await api('GET', '/keys/' + encodeURIComponent(key.id) + '/usage?days=30');
      cell.replaceChildren(sparkline((series && series.days) || []));
    } catch (e) {
      cell.replaceChildren(h('span', { class: 'ks-muted', text: '—' }));
    }
  }

  // ------------------------------------------------------------------ keys table

  async function loadKeys() {
    const k = state.keys;
    const params = new URLSearchParams();
    if (k.q) {
      params.set('q', k.q);
    }
    params.set('sort', k.sort);
    params.set('dir', k.dir);
    params.set('size', String(PAGE_SIZE));
    const cursor = k.cursors[k.index];
    if (cursor) {
      params.set('after', cursor);
    }
    if (k.stale) {
      params.set('days', '90');
    }
    const asked = params.toString();
    k.asked = asked;
    const page = await getOrFail((k.stale ? '/keys/stale?' : '/keys?') + asked);
    if (page === null) {
      return;
    }
    if (k.asked !== asked) {
      return; // a newer request (typing in the search box) has been sent since
    }
    k.items = page.items || [];
    k.next = page.next || null;
    k.total = page.total ?? k.items.length;
    renderKeys();
  }

  function renderKeys() {
    const k = state.keys;
    const body = $('keys-body');
    body.replaceChildren(...k.items.map(keyRow));
    for (const th of document.querySelectorAll('#keys-table th')) {
      if (th.dataset.sort === k.sort) {
        th.setAttribute('aria-sort', k.dir === 'asc' ? 'ascending' : 'descending');
      } else {
        th.removeAttribute('aria-sort');
      }
    }
    $('key-sort').value = k.sort + ':' + k.dir;
    const first = k.index * PAGE_SIZE + 1;
    const last = k.index * PAGE_SIZE + k.items.length;
    const what = k.stale ? 'keys unused for 90 days' : 'keys';
    let status;
    if (k.items.length === 0) {
      status = k.q ? 'No key matches “' + visible(k.q) + '”.' : (k.stale ? 'No key has gone unused for 90 days.' : 'No API keys yet.');
    } else {
      status = 'Showing ' + first + '–' + last + ' of ' + k.total + ' ' + what + (k.q ? ' matching “' + visible(k.q) + '”' : '') + '.';
    }
    $('keys-status').textContent = status;
    const empty = $('keys-empty');
    empty.hidden = k.items.length !== 0;
    empty.textContent = k.items.length === 0 && !k.q && !k.stale ? 'No API keys yet. Use New Key to create keys for your devices.' : status;
    $('keys-table').hidden = k.items.length === 0;
    $('keys-prev').disabled = k.index === 0;
    $('keys-next').disabled = !k.next;
    const pages = Math.max(1, Math.ceil(k.total / PAGE_SIZE));
    $('keys-page').textContent = 'Page ' + (k.index + 1) + ' of ' + pages;
    for (const row of body.rows) {
      const key = k.items.find((x) => x.id === row.dataset.id);
      loadSparkline(key, row.querySelector('.c-usage'));
    }
  }

  function keyRow(key) {
    const name = key.deviceName || key.deviceSerial;
    const who = deviceText(key.deviceName, key.deviceSerial);
    const status = String(key.status || '');
    const actions = h('div', { class: 'ks-actions', role: 'group', 'aria-label': 'Actions for ' + who });
    if (state.me && state.me.vault) {
      actions.append(h('button', { type: 'button', class: 'a-copy', 'aria-label': 'Copy the key for ' + who, onclick: (e) => copyKey(key, e.currentTarget) }, 'Copy'));
    }
    actions.append(
      h('button', { type: 'button', class: 'a-regenerate', 'aria-label': 'Regenerate the key for ' + who, onclick: () => openRegenerate(key) }, 'Regenerate'),
      h('button', { type: 'button', class: 'a-edit', 'aria-label': 'Edit the key for ' + who, onclick: () => openEdit(key) }, 'Edit'),
      h('button', { type: 'button', class: 'a-delete', 'aria-label': 'Delete the key for ' + who, onclick: () => confirmDelete(key) }, 'Delete'));
    const expiry = key.expiresAt ? h('div', { class: 'ks-muted c-expiry', text: 'Expires ' + fmtDate(key.expiresAt) }) : null;
    return h('tr', { 'data-id': key.id, 'data-serial': key.deviceSerial },
      h('td', { class: 'c-name', 'data-label': 'Device name' }, truncated(name)),
      h('td', { class: 'c-serial ks-mono', 'data-label': 'Serial' }, bdi(key.deviceSerial)),
      h('td', { class: 'c-created', 'data-label': 'Created' }, fmtDate(key.createdAt)),
      h('td', { class: 'c-last', 'data-label': 'Last used' }, key.lastUsedAt ? fmtDate(key.lastUsedAt) : 'Never'),
      h('td', { class: 'c-status', 'data-label': 'Status' },
        h('span', { class: 'ks-status ks-status-' + status.toLowerCase() }, STATUS_NAMES[status] || visible(status)), expiry),
      h('td', { class: 'c-label', 'data-label': 'Label' }, key.label ? truncated(key.label) : h('span', { class: 'ks-muted', text: '—' })),
      h('td', { class: 'c-usage', 'data-label': 'Last 30 days' }, h('span', { class: 'ks-muted', text: '…' })),
      h('td', { class: 'c-actions ks-actions-cell' }, actions));
  }

  function reloadKeysFromStart() {
    state.keys.cursors = [null];
    state.keys.index = 0;
    return loadKeys();
  }

  onSearch('key-search', (q) => {
    state.keys.q = q;
    reloadKeysFromStart();
  });
  for (const button of document.querySelectorAll('#keys-table th button[data-sort]')) {
    button.addEventListener('click', () => {
      const k = state.keys;
      const sort = button.dataset.sort;
      k.dir = k.sort === sort && k.dir === 'asc' ? 'desc' : 'asc';
      k.sort = sort;
      reloadKeysFromStart();
    });
  }
  $('key-sort').addEventListener('change', (event) => {
    const [sort, dir] = event.target.value.split(':');
    state.keys.sort = sort;
    state.keys.dir = dir;
    reloadKeysFromStart();
  });
  cursorPager('keys', () => state.keys, loadKeys);
  $('stale-review').addEventListener('click', (event) => {
    const k = state.keys;
    k.stale = !k.stale;
    event.currentTarget.setAttribute('aria-pressed', String(k.stale));
    if (k.stale) {
      k.sort = 'lastUsed';
      k.dir = 'asc';
    }
    reloadKeysFromStart();
  });

  async function refreshAfterChange() {
    await Promise.all([loadUsage(), loadKeys(), loadDaily()]);
  }

  // ------------------------------------------------------------------ copy

  async function writeClipboard(text, input) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return true;
      }
    } catch (e) {
      // fall back below (no permission, or not focused)
    }
    if (input) {
      input.focus();
      input.select();
      try {
        return document.execCommand('copy');
      } catch (e) {
        return false;
      }
    }
    return false;
  }

  function markCopied(button, ok) {
    button.textContent = ok ? 'Copied' : 'Select and copy';
    button.classList.toggle('ks-copied', ok);
  }

  async function copyKey(key, button) {
    clearMessages();
    try {
      const revealed = await api('POST', '/keys/' + encodeURIComponent(key.id) + '/reveal');
      const ok = await writeClipboard(revealed.secret, null);
      revealed.secret = null;
      if (ok) {
        markCopied(button, true);
        say('Copied the key for ' + deviceText(key.deviceName, key.deviceSerial) + ' to the clipboard.');
      } else {
        fail(new Error('The browser did not allow copying to the clipboard.'));
      }
    } catch (e) {
      fail(e);
    }
  }

  // ------------------------------------------------------------------ secrets, shown once

  function showSecrets(issued, title) {
    const list = $('secret-list');
    list.replaceChildren(...issued.map((item, i) => {
      const id = 'secret-' + i;
      const input = h('input', { id, class: 'secret ks-mono', readonly: true, spellcheck: 'false', autocomplete: 'off', 'data-serial': item.key.deviceSerial });
      input.value = item.secret;
      const label = h('label', { for: id }, bdi(item.key.deviceName || ''), ' (', bdi(item.key.deviceSerial), ')');
      const copy = h('button', { type: 'button', class: 'copy', 'aria-label': 'Copy the key for ' + deviceText(item.key.deviceName, item.key.deviceSerial) }, 'Copy');
      copy.addEventListener('click', async () => markCopied(copy, await writeClipboard(input.value, input)));
      return h('li', { class: 'secret-item' }, label, h('div', { class: 'ks-secret-row' }, input, copy));
    }));
    $('dlg-secrets-title').textContent = title;
    openDialog($('dlg-secrets'), $('secrets-done'));
  }
  /** The secrets leave the page with their dialog, before it closes: nothing keeps them. */
  function forgetSecrets() {
    for (const input of $('secret-list').querySelectorAll('input')) {
      input.value = '';
    }
    $('secret-list').replaceChildren();
  }
  $('secrets-done').addEventListener('click', () => {
    forgetSecrets();
    closeDialog($('dlg-secrets'));
  });
  $('dlg-secrets').addEventListener('cancel', forgetSecrets); // Escape
  $('dlg-secrets').addEventListener('close', forgetSecrets);

  // ------------------------------------------------------------------ New Key

  const newKey = { devices: [], selected: new Map() };

  async function allKeylessDevices() {
    const found = [];
    for (let page = 0; page < 40; page++) {
      const result = await api('GET', '/devices?page=' + page + '&size=200');
      const items = (result && result.items) || [];
      found.push(...items.filter((d) => d.hasKey === false));
      if (items.length === 0 || (page + 1) * 200 >= (result.total ?? 0)) {
        break;
      }
    }
    return found;
  }

  $('new-key').addEventListener('click', async () => {
    clearMessages();
    newKey.selected.clear();
    $('device-filter').value = '';
    $('new-label').value = '';
    $('new-expiry').value = '';
    $('new-select-step').hidden = false;
    $('new-review-step').hidden = true;
    $('device-list').replaceChildren(h('p', { class: 'ks-muted', text: 'Loading devices…' }));
    updateSelection();
    openDialog($('dlg-new'), $('device-filter'));
    try {
      newKey.devices = await allKeylessDevices();
    } catch (e) {
      $('device-list').replaceChildren(h('p', { class: 'ks-inline-error', role: 'alert', text: visible(e.message) }));
      return;
    }
    renderDeviceChoices();
  });

  function renderDeviceChoices() {
    const list = $('device-list');
    if (newKey.devices.length === 0) {
      list.replaceChildren(h('p', { class: 'ks-muted', text: 'Every device of the account already has a key. Associate a device first, or delete a key you no longer use.' }));
      return;
    }
    list.replaceChildren(...newKey.devices.map((d, i) => {
      const box = h('input', { type: 'checkbox', name: 'device', id: 'device-' + i, value: d.serial });
      box.checked = newKey.selected.has(d.serial);
      box.addEventListener('change', () => {
        if (box.checked) {
          newKey.selected.set(d.serial, d);
        } else {
          newKey.selected.delete(d.serial);
        }
        updateSelection();
      });
      const label = h('label', { for: 'device-' + i, 'data-search': (visible(d.name) + ' ' + visible(d.serial)).toLowerCase() },
        box, h('span', {}, bdi(d.name || d.serial), ' ', h('span', { class: 'ks-muted ks-mono' }, bdi(d.serial))));
      return label;
    }));
    filterDeviceChoices();
  }

  function filterDeviceChoices() {
    const q = $('device-filter').value.trim().toLowerCase();
    for (const label of $('device-list').querySelectorAll('label')) {
      label.hidden = q !== '' && !label.dataset.search.includes(q);
    }
  }
  $('device-filter').addEventListener('input', filterDeviceChoices);
  $('device-filter').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
    }
  });

  function updateSelection() {
    const n = newKey.selected.size;
    $('new-selected-count').textContent = n === 0 ? 'No device selected.' : plural(n, 'device', 'devices') + ' selected.';
    $('new-review').disabled = n === 0;
  }

  function newKeyRequest() {
    const expiry = $('new-expiry').value;
    return {
      serials: [...newKey.selected.keys()],
      label: $('new-label').value.trim() || null,
      expiresAt: expiry ? expiry + 'T23:59:59Z' : null,
    };
  }

  $('new-review').addEventListener('click', async () => {
    const selected = [...newKey.selected.values()];
    $('new-select-step').hidden = true;
    $('new-review-step').hidden = false;
    $('review-intro').textContent = 'Create ' + plural(selected.length, 'API key', 'API keys') + '?';
    $('review-list').replaceChildren(...selected.map((d) => h('li', {}, bdi(d.name || d.serial), ' ', h('span', { class: 'ks-muted ks-mono' }, bdi(d.serial)))));
    $('review-licenses').textContent = 'Checking the licenses…';
    inlineError('create-reason', null);
    const create = $('create-keys');
    create.disabled = true;
    $('new-back').focus();
    try {
      const preview = await api('POST', '/keys/preview', newKeyRequest());
      if (preview.allowed) {
        $('review-licenses').textContent = preview.reason
          || ('They use ' + plural(preview.needed, 'API license', 'API licenses') + ' of the ' + preview.available + ' free.');
        create.disabled = false;
        create.focus();
      } else {
        $('review-licenses').textContent = '';
        inlineError('create-reason', new Error(preview.reason || 'Keyseat would refuse these keys.'));
      }
    } catch (e) {
      $('review-licenses').textContent = '';
      inlineError('create-reason', e);
    }
  });

  $('new-back').addEventListener('click', () => {
    $('new-review-step').hidden = true;
    $('new-select-step').hidden = false;
    $('new-review').focus();
  });

  $('create-keys').addEventListener('click', async () => {
    const create = $('create-keys');
    create.disabled = true;
    try {
      const created = await api('POST', '/keys', newKeyRequest());
      closeDialog($('dlg-new'));
      const issued = created.keys || [];
      say('Created ' + plural(issued.length, 'API key', 'API keys') + '.');
      showSecrets(issued, issued.length === 1 ? 'Copy your API key now' : 'Copy your ' + issued.length + ' API keys now');
      refreshAfterChange();
    } catch (e) {
      inlineError('create-reason', e);
    }
  });

  // ------------------------------------------------------------------ regenerate

  let regenerating = null;
  function openRegenerate(key) {
    clearMessages();
    regenerating = key;
    $('regen-message').textContent = '';
    $('regen-message').append('A new secret replaces the key for ', bdi(key.deviceName || ''), ' (', bdi(key.deviceSerial),
      '). The device must be given the new secret.');
    $('regen-overlap').value = '0';
    inlineError('regen-error', null);
    openDialog($('dlg-regen'), $('regen-overlap'));
  }
  $('regen-ok').addEventListener('click', () => whileBusy('regen-ok', 'regen-error', async () => {
    const key = regenerating;
    const result = await api('POST', '/keys/' + encodeURIComponent(key.id) + '/regenerate',
      { overlapSeconds: Number($('regen-overlap').value) });
    closeDialog($('dlg-regen'));
    const overlap = Number($('regen-overlap').value);
    say('Regenerated the key for ' + deviceText(key.deviceName, key.deviceSerial) + '. '
      + (overlap > 0 ? 'The old secret keeps working for ' + $('regen-overlap').selectedOptions[0].textContent.replace(/^in /, '').replace(/ \(.*\)$/, '') + '.' : 'The old secret no longer works.'));
    showSecrets([result], 'Copy the new API key now');
    loadKeys();
  }));

  // ------------------------------------------------------------------ edit

  let editing = null;
  function openEdit(key) {
    clearMessages();
    editing = key;
    $('edit-device').textContent = '';
    $('edit-device').append(bdi(key.deviceName || ''), ' (', bdi(key.deviceSerial), ')');
    $('edit-label').value = key.label || '';
    $('edit-expiry').value = key.expiresAt ? key.expiresAt.slice(0, 10) : '';
    $('edit-clear-expiry').checked = !key.expiresAt;
    $('edit-expiry').disabled = !key.expiresAt;
    $('edit-suspended').checked = key.status === 'SUSPENDED';
    inlineError('edit-error', null);
    openDialog($('dlg-edit'), $('edit-label'));
  }
  $('edit-clear-expiry').addEventListener('change', (event) => {
    $('edit-expiry').disabled = event.target.checked;
    if (!event.target.checked) {
      $('edit-expiry').focus();
    }
  });
  $('edit-save').addEventListener('click', async () => {
    const key = editing;
    const patch = {};
    const label = $('edit-label').value.trim();
    if (label !== (key.label || '')) {
      patch.label = label;
    }
    if ($('edit-clear-expiry').checked) {
      if (key.expiresAt) {
        patch.clearExpiry = true;
      }
    } else {
      const date = $('edit-expiry').value;
      if (!date) {
        inlineError('edit-error', new Error('Choose the day the key expires, or tick “Never expires”.'));
        $('edit-expiry').focus();
        return;
      }
      const expiresAt = date + 'T23:59:59Z';
      if (!key.expiresAt || key.expiresAt.slice(0, 10) !== date) {
        patch.expiresAt = expiresAt;
      }
    }
    const suspended = $('edit-suspended').checked;
    if (suspended !== (key.status === 'SUSPENDED')) {
      patch.suspended = suspended;
    }
    if (Object.keys(patch).length === 0) {
      closeDialog($('dlg-edit'));
      return;
    }
    await whileBusy('edit-save', 'edit-error', async () => {
      await api('PATCH', '/keys/' + encodeURIComponent(key.id), patch);
      closeDialog($('dlg-edit'));
      say('Saved the key for ' + deviceText(key.deviceName, key.deviceSerial) + '.');
      loadKeys();
    });
  });

  // ------------------------------------------------------------------ confirmation

  let confirmed = null;
  function confirmAction(title, message, okText, action) {
    $('confirm-title').textContent = title;
    $('confirm-message').replaceChildren(...message);
    $('confirm-ok').textContent = okText;
    inlineError('confirm-error', null);
    confirmed = action;
    // The safe choice has the focus.
    openDialog($('dlg-confirm'), $('dlg-confirm').querySelector('.ks-cancel'));
  }
  $('confirm-ok').addEventListener('click', () => whileBusy('confirm-ok', 'confirm-error', async () => {
    await confirmed();
    closeDialog($('dlg-confirm'));
  }));

  function confirmDelete(key) {
    clearMessages();
    confirmAction('Delete API key?', ['Delete the key for ', bdi(key.deviceName || ''), ' (', bdi(key.deviceSerial),
      ')? It stops working at once, and its license becomes available for another device.'], 'Delete', async () => {
      await api('DELETE', '/keys/' + encodeURIComponent(key.id));
      say('Deleted the key for ' + deviceText(key.deviceName, key.deviceSerial) + '; its license is free again.');
      if (state.keys.items.length === 1 && state.keys.index > 0) {
        state.keys.index -= 1;
      }
      await refreshAfterChange();
    });
  }

  // ------------------------------------------------------------------ devices

  async function loadDevices() {
    const d = state.devices;
    const me = state.me;
    const canManage = me && (me.role === 'ADMIN' || me.role === 'MANAGER');
    $('associate-form').hidden = !canManage;
    $('devices-intro').textContent = me && me.role === 'ADMIN'
      ? 'The account\'s devices. Dissociating a device deletes its API key and frees the license.'
      : canManage ? 'The account\'s devices: associate new ones and rename them. Only an administrator can dissociate a device.'
        : 'The account\'s devices (read only).';
    const params = new URLSearchParams({ page: String(d.page), size: String(DEVICE_PAGE_SIZE) });
    if (d.q) {
      params.set('q', d.q);
    }
    const asked = params.toString();
    d.asked = asked;
    const result = await getOrFail('/devices?' + asked);
    if (result === null) {
      return;
    }
    if (d.asked !== asked) {
      return;
    }
    d.total = result.total ?? 0;
    const items = result.items || [];
    $('devices-body').replaceChildren(...items.map((device) => deviceRow(device, me)));
    const first = d.page * DEVICE_PAGE_SIZE + 1;
    $('devices-status').textContent = items.length === 0 ? (d.q ? 'No device matches “' + visible(d.q) + '”.' : 'No devices yet.')
      : 'Showing ' + first + '–' + (first + items.length - 1) + ' of ' + plural(d.total, 'device', 'devices') + '.';
    $('devices-prev').disabled = d.page === 0;
    $('devices-next').disabled = (d.page + 1) * DEVICE_PAGE_SIZE >= d.total;
    $('devices-page').textContent = 'Page ' + (d.page + 1) + ' of ' + Math.max(1, Math.ceil(d.total / DEVICE_PAGE_SIZE));
  }

  function deviceRow(device, me) {
    const who = deviceText(device.name, device.serial);
    const actions = h('div', { class: 'ks-actions', role: 'group', 'aria-label': 'Actions for ' + who });
    if (me.role === 'ADMIN' || me.role === 'MANAGER') {
      actions.append(h('button', { type: 'button', class: 'a-rename', 'aria-label': 'Rename ' + who, onclick: () => openRename(device) }, 'Rename'));
    }
    if (me.role === 'ADMIN') {
      actions.append(h('button', { type: 'button', class: 'a-dissociate', 'aria-label': 'Dissociate ' + who, onclick: () => confirmDissociate(device) }, 'Dissociate'));
    }
    return h('tr', { 'data-serial': device.serial },
      h('td', { class: 'd-name', 'data-label': 'Device name' }, truncated(device.name || '')),
      h('td', { class: 'd-serial ks-mono', 'data-label': 'Serial' }, bdi(device.serial)),
      h('td', { class: 'd-model', 'data-label': 'Model' }, device.model ? bdi(device.model) : h('span', { class: 'ks-muted', text: '—' })),
      h('td', { class: 'd-associated', 'data-label': 'Associated' }, fmtDate(device.associatedAt)),
      h('td', { class: 'd-key', 'data-label': 'API key' }, device.hasKey === true ? 'Has a key' : device.hasKey === false ? 'No key'
        : h('span', { class: 'ks-muted', title: 'Shown to administrators', text: '—' })),
      h('td', { class: 'ks-actions-cell' }, actions.childElementCount ? actions : null));
  }

  onSearch('device-search', (q) => {
    state.devices.q = q;
    state.devices.page = 0;
    loadDevices();
  });
  $('devices-prev').addEventListener('click', () => {
    state.devices.page = Math.max(0, state.devices.page - 1);
    loadDevices();
  });
  $('devices-next').addEventListener('click', () => {
    state.devices.page += 1;
    loadDevices();
  });

  $('associate-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    clearMessages();
    inlineError('assoc-error', null);
    const body = { serial: $('assoc-serial').value.trim(), name: $('assoc-name').value.trim(), model: $('assoc-model').value.trim() || null };
    await whileBusy('assoc-submit', 'assoc-error', async () => {
      await api('POST', '/devices', body);
      say('Associated ' + deviceText(body.name, body.serial) + ' with the account.');
      $('assoc-serial').value = '';
      $('assoc-name').value = '';
      $('assoc-model').value = '';
      await loadDevices();
    });
  });

  let renaming = null;
  function openRename(device) {
    clearMessages();
    renaming = device;
    $('rename-serial').textContent = '';
    $('rename-serial').append('Serial ', bdi(device.serial));
    $('rename-name').value = device.name || '';
    inlineError('rename-error', null);
    openDialog($('dlg-rename'), $('rename-name'));
  }
  $('rename-save').addEventListener('click', async () => {
    const device = renaming;
    const name = $('rename-name').value.trim();
    if (!name) {
      inlineError('rename-error', new Error('Give the device a name.'));
      return;
    }
    try {
      await api('PATCH', '/devices/' + encodeURIComponent(device.serial), { name });
      closeDialog($('dlg-rename'));
      say('Renamed ' + visible(device.serial) + ' to ' + visible(name) + '.');
      await loadDevices();
      if (state.me.role === 'ADMIN') {
        loadKeys();
      }
    } catch (e) {
      inlineError('rename-error', e);
    }
  });

  function confirmDissociate(device) {
    clearMessages();
    confirmAction('Dissociate device?', ['Remove ', bdi(device.name || ''), ' (', bdi(device.serial), ') from the account?',
      device.hasKey ? ' Its API key is deleted and its license becomes available.' : ''], 'Dissociate', async () => {
      await api('DELETE', '/devices/' + encodeURIComponent(device.serial));
      say('Dissociated ' + deviceText(device.name, device.serial) + '.');
      await Promise.all([loadDevices(), loadUsage(), loadKeys()]);
    });
  }

  // ------------------------------------------------------------------ audit log

  async function loadAudit() {
    const a = state.audit;
    const params = new URLSearchParams({ size: '50' });
    const cursor = a.cursors[a.index];
    if (cursor !== null && cursor !== undefined) {
      params.set('before', String(cursor));
    }
    const page = await getOrFail('/audit?' + params);
    if (page === null) {
      return;
    }
    a.next = page.next ?? null;
    const items = page.items || [];
    $('audit-body').replaceChildren(...items.map((entry) => h('tr', { 'data-sequence': entry.sequence },
      h('td', { class: 'au-at', 'data-label': 'When' }, fmtDateTime(entry.at)),
      h('td', { class: 'au-actor', 'data-label': 'Who' }, bdi(entry.actor)),
      h('td', { class: 'au-action', 'data-label': 'Action' }, bdi(entry.action)),
      h('td', { class: 'au-device', 'data-label': 'Device' }, entry.deviceSerial ? bdi(entry.deviceSerial) : h('span', { class: 'ks-muted', text: '—' })),
      h('td', { class: 'au-outcome', 'data-label': 'Outcome' }, bdi(entry.outcome)),
      h('td', { class: 'au-detail', 'data-label': 'Detail' }, entry.detail ? truncated(entry.detail) : h('span', { class: 'ks-muted', text: '—' })))));
    $('audit-prev').disabled = a.index === 0;
    $('audit-next').disabled = a.next === null;
    $('audit-page').textContent = items.length === 0 ? 'No entries.' : 'Page ' + (a.index + 1);
  }
  cursorPager('audit', () => state.audit, loadAudit);

  start();
})();
