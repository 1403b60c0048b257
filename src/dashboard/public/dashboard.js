// Salvo's dashboard: one account's batches, kept live over Socket.IO (no polling, no build step).
// Everything from the API reaches the DOM through textContent or attributes, never as HTML.
(function () {
  'use strict';

  const KEY_STORAGE = 'salvo.apiKey';
  const FINAL = ['completed', 'failed', 'cancelled'];
  /** Which statuses allow which action (README, "How a batch moves"). */
  const ACTIONS = [
    { action: 'pause', label: 'Pause', from: ['processing'] },
    { action: 'resume', label: 'Resume', from: ['paused'] },
    { action: 'cancel', label: 'Cancel', from: ['pending', 'processing', 'paused'] },
  ];
  /** Statuses whose live messagesPerSecond the chart plots (0 while paused). */
  const SAMPLED = ['processing', 'paused'];
  const COUNTS = ['completed', 'failed', 'cancelled', 'pending'];
  /**
   * What became of the accepted messages, from delivery receipts (README, "Delivery receipts");
   * they sum to progress.completed. A server without receipts sends no `delivery`: nothing shows.
   */
  const DELIVERY = [
    { name: 'delivered', label: 'Delivered', hint: 'The handset received it.' },
    { name: 'undelivered', label: 'Undelivered', hint: 'The provider could not deliver it.' },
    { name: 'awaiting', label: 'Awaiting', hint: 'Accepted; no final receipt yet.' },
    { name: 'unknown', label: 'Unknown', hint: 'No final receipt came in time.' },
  ];
  /** The sparkline shows this much of the recent past, as live events reported it. */
  const SPARK_WINDOW_MS = 120000;
  const SPARK_WIDTH = 160;
  const SPARK_HEIGHT = 36;
  /** Error summaries are fetched a few at a time, and at most this often per batch while it runs. */
  const ERRORS_CONCURRENCY = 4;
  const ERRORS_REFRESH_MS = 1500;

  const $ = (id) => document.getElementById(id);
  const ui = {
    session: $('session'),
    connection: $('connection'),
    forget: $('forget'),
    keyPanel: $('key-panel'),
    keyForm: $('key-form'),
    keyInput: $('key-input'),
    keyError: $('key-error'),
    batchesPanel: $('batches-panel'),
    notice: $('notice'),
    empty: $('empty'),
    list: $('batches'),
    more: $('more'),
  };

  /**
   * `generation` changes whenever the key does: answers and events of an earlier key are dropped.
   * `eventSeq` numbers live events, so a list read that started before an event does not undo it.
   */
  const state = {
    key: null,
    generation: 0,
    socket: null,
    views: new Map(),
    nextCursor: null,
    eventSeq: 0,
    errorsQueue: [],
    errorsRunning: 0,
  };

  class Refused extends Error {}
  class ApiError extends Error {}

  // ---- the key ------------------------------------------------------------------------------

  function storedKey() {
    try {
      return localStorage.getItem(KEY_STORAGE);
    } catch (_error) {
      return null;
    }
  }

  function storeKey(key) {
    try {
      if (key) localStorage.setItem(KEY_STORAGE, key);
      else localStorage.removeItem(KEY_STORAGE);
    } catch (_error) {
      // Storage disabled: the key lasts as long as the page.
    }
  }

  function showKeyForm(message) {
    ui.session.hidden = true;
    ui.batchesPanel.hidden = true;
    ui.keyPanel.hidden = false;
    ui.keyError.hidden = !message;
    ui.keyError.textContent = message || '';
    ui.keyInput.value = '';
    ui.keyInput.focus();
  }

  /** Stops everything the previous key started and clears what it showed. */
  function reset() {
    state.generation += 1;
    if (state.socket) {
      state.socket.removeAllListeners();
      state.socket.disconnect();
      state.socket = null;
    }
    for (const view of state.views.values()) clearTimeout(view.errorsTimer);
    state.views.clear();
    state.errorsQueue = [];
    state.errorsRunning = 0;
    state.nextCursor = null;
    ui.list.replaceChildren();
    ui.more.hidden = true;
    ui.empty.hidden = true;
    showNotice('');
  }

  function useKey(key) {
    reset();
    state.key = key;
    storeKey(key);
    ui.keyPanel.hidden = true;
    ui.session.hidden = false;
    ui.batchesPanel.hidden = false;
    void loadList();
    connect();
  }

  function forgetKey(message) {
    reset();
    state.key = null;
    storeKey(null);
    showKeyForm(message);
  }

  function refuse(reason) {
    // The server's sentence when there is one; a bare code such as UNAUTHORIZED says nothing more.
    const detail = reason && /\s/.test(reason) ? ` ${reason.trim()}` : '';
    forgetKey(`Salvo refused this API key.${detail} Check it and enter it again.`);
  }

  // ---- REST ---------------------------------------------------------------------------------

  async function api(method, path) {
    const generation = state.generation;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { Authorization: `Bearer ${state.key}`, Accept: 'application/json' },
      });
    } catch (_error) {
      throw new ApiError('Salvo could not be reached; check the connection and try again.');
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_error) {
      body = null;
    }
    if (generation !== state.generation) throw new Refused('stale');
    const message = body && typeof body.message === 'string' ? body.message : null;
    if (response.status === 401) {
      refuse(message);
      throw new Refused(message || 'unauthorized');
    }
    if (!response.ok) throw new ApiError(message || `Salvo answered ${response.status}.`);
    return body;
  }

  async function loadList(cursor) {
    const startedAt = state.eventSeq;
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    try {
      const page = await api('GET', `/api/batch${query}`);
      for (const batch of page.items) {
        const view = state.views.get(batch.id);
        // A live event newer than this read already holds the fresher state.
        if (view && view.eventSeq > startedAt) continue;
        upsert(batch, false);
      }
      if (!cursor || state.nextCursor === cursor) state.nextCursor = page.nextCursor;
      ui.more.hidden = !state.nextCursor;
      ui.empty.hidden = state.views.size > 0;
      if (!state.socket || state.socket.connected) showNotice('');
    } catch (error) {
      if (!(error instanceof Refused))
        showNotice(`The batches could not be loaded: ${error.message}`);
    }
  }

  // ---- Socket.IO ----------------------------------------------------------------------------

  function connect() {
    if (typeof window.io !== 'function') {
      setConnection('offline', 'Live updates unavailable');
      return;
    }
    const generation = state.generation;
    const socket = window.io(`${window.location.origin}/batches`, {
      auth: { token: state.key },
    });
    state.socket = socket;
    setConnection('connecting', 'Connecting…');

    socket.on('connect', () => {
      if (generation !== state.generation) return;
      setConnection('live', 'Live');
      socket.emit('subscribe', { all: true }, (answer) => {
        if (generation !== state.generation) return;
        if (answer && answer.error) {
          setConnection('offline', 'Not following');
          showNotice(`Live updates were refused: ${answer.error.message || answer.error.code}`);
          return;
        }
        // Catch up on whatever changed while we were not subscribed.
        void loadList();
      });
    });

    socket.on('connect_error', (error) => {
      if (generation !== state.generation) return;
      const data = error && error.data;
      const code = (data && data.code) || (error && error.message) || '';
      if (/unauthori[sz]ed|forbidden|api key/i.test(String(code))) {
        refuse((data && data.message) || (error && error.message));
        return;
      }
      setConnection('offline', 'Offline, reconnecting…');
      // Refused by the namespace for another reason: the client does not retry on its own.
      if (!socket.active)
        setTimeout(() => generation === state.generation && socket.connect(), 3000);
    });

    socket.on('disconnect', (reason) => {
      if (generation !== state.generation) return;
      setConnection('offline', 'Offline, reconnecting…');
      // The server ended the session; try again (a revoked key then gets connect_error).
      if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
    });

    const live = (batch) => {
      if (generation !== state.generation || !batch || !batch.id) return;
      state.eventSeq += 1;
      upsert(batch, true);
    };
    socket.on('batch:progress', live);
    socket.on('batch:status', live);
    socket.on('batch:error', (event) => {
      if (generation !== state.generation || !event || !event.id) return;
      onErrorEvent(event);
    });
  }

  function setConnection(kind, text) {
    ui.connection.dataset.state = kind;
    ui.connection.textContent = text;
  }

  function showNotice(message) {
    ui.notice.hidden = !message;
    ui.notice.textContent = message || '';
  }

  // ---- batches ------------------------------------------------------------------------------

  /** Applies a batch's status JSON, from a list read, an action's answer or a live event. */
  function upsert(batch, fromEvent) {
    let view = state.views.get(batch.id);
    const before = view ? view.batch : null;
    if (!view) {
      view = createView(batch);
      view.batch = batch;
      state.views.set(batch.id, view);
      place(view);
      ui.empty.hidden = true;
    }
    view.batch = batch;
    if (fromEvent) view.eventSeq = state.eventSeq;
    // The chart follows the live rate of a running batch only: list reads repeat a value, and a
    // finished batch's rate is its average over the whole run, another measure.
    if (fromEvent && SAMPLED.includes(batch.status))
      addSample(view, batch.metrics.messagesPerSecond);
    render(view);

    // Undelivered receipts are in the error log too (stage "delivery").
    const failedMore =
      !before ||
      batch.progress.failed !== before.progress.failed ||
      undelivered(batch) !== undelivered(before);
    const becameFinal = before && before.status !== batch.status && FINAL.includes(batch.status);
    if (!before) {
      if (batch.status !== 'pending' || batch.progress.failed > 0) queueErrors(view, 0);
    } else if (becameFinal) {
      queueErrors(view, 0);
    } else if (failedMore) {
      queueErrors(view, ERRORS_REFRESH_MS);
    }
  }

  function undelivered(batch) {
    return batch.delivery ? Number(batch.delivery.undelivered) || 0 : 0;
  }

  /** Newest first, as the API lists them. */
  function place(view) {
    const created = view.batch.createdAt;
    for (const other of ui.list.children) {
      const otherView = state.views.get(other.dataset.batchId);
      if (otherView && newer(created, view.batch.id, otherView.batch)) {
        ui.list.insertBefore(view.root, other);
        return;
      }
    }
    ui.list.append(view.root);
  }

  function newer(createdAt, id, other) {
    if (createdAt !== other.createdAt) return createdAt > other.createdAt;
    return id > other.id;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function createView(batch) {
    const root = el('article', 'batch');
    root.dataset.batchId = batch.id;

    const head = el('header', 'batch-head');
    const status = el('span', 'status');
    const text = el('p', 'batch-text');
    const meta = el('p', 'batch-meta');
    const id = el('code', 'batch-id', batch.id);
    const priority = el('span', 'priority');
    const created = el('time', 'created');
    meta.append(id, priority, created);
    const title = el('div', 'batch-title');
    title.append(text, meta);
    head.append(status, title);

    const bar = el('div', 'bar');
    bar.setAttribute('role', 'progressbar');
    bar.setAttribute('aria-label', 'Messages final');
    bar.setAttribute('aria-valuemin', '0');
    const segments = {};
    for (const name of ['completed', 'failed', 'cancelled']) {
      segments[name] = el('span', `bar-part ${name}`);
      bar.append(segments[name]);
    }

    const counts = el('dl', 'counts');
    const countValues = {};
    for (const name of COUNTS) {
      const item = el('div', `count ${name}`);
      const value = el('dd', 'count-value');
      value.dataset.count = name;
      item.append(el('dt', 'count-label', capitalize(name)), value);
      counts.append(item);
      countValues[name] = value;
    }
    const total = el('div', 'count total');
    const totalValue = el('dd', 'count-value');
    totalValue.dataset.count = 'total';
    total.append(el('dt', 'count-label', 'Total'), totalValue);
    counts.append(total);
    countValues.total = totalValue;

    const delivery = el('div', 'delivery');
    delivery.hidden = true;
    const deliveryBar = el('div', 'bar delivery-bar');
    deliveryBar.setAttribute('role', 'img');
    const deliverySegments = {};
    for (const { name } of DELIVERY) {
      deliverySegments[name] = el('span', `bar-part ${name}`);
      if (name !== 'awaiting') deliveryBar.append(deliverySegments[name]);
    }
    const deliveryCounts = el('dl', 'counts delivery-counts');
    const deliveryValues = {};
    for (const { name, label, hint } of DELIVERY) {
      const item = el('div', `count ${name}`);
      item.title = hint;
      const value = el('dd', 'count-value');
      value.dataset.delivery = name;
      item.append(el('dt', 'count-label', label), value);
      deliveryCounts.append(item);
      deliveryValues[name] = value;
    }
    delivery.append(el('h3', 'panel-title', 'Delivery'), deliveryBar, deliveryCounts);

    const reason = el('p', 'reason');

    const mpsValue = el('span', 'metric-value');
    mpsValue.dataset.metric = 'messagesPerSecond';
    const spark = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    spark.setAttribute('class', 'spark');
    spark.setAttribute('viewBox', `0 0 ${SPARK_WIDTH} ${SPARK_HEIGHT}`);
    spark.setAttribute('preserveAspectRatio', 'none');
    spark.setAttribute('aria-hidden', 'true');
    const sparkArea = document.createElementNS(spark.namespaceURI, 'polygon');
    sparkArea.setAttribute('class', 'spark-area');
    const sparkLine = document.createElementNS(spark.namespaceURI, 'polyline');
    sparkLine.setAttribute('class', 'spark-line');
    spark.append(sparkArea, sparkLine);
    const mps = metric('Messages / s', mpsValue);
    mps.append(spark);

    const rateValue = el('span', 'metric-value');
    rateValue.dataset.metric = 'successRate';
    const rate = metric('Success rate', rateValue);

    const deliveryRateValue = el('span', 'metric-value');
    deliveryRateValue.dataset.metric = 'deliveryRate';
    const deliveryRate = metric('Delivery rate', deliveryRateValue);
    deliveryRate.classList.add('delivery-rate');
    deliveryRate.hidden = true;

    const errors = el('section', 'errors');
    errors.append(el('h3', 'panel-title', 'Errors by category'));
    const errorsBody = el('div', 'errors-body');
    errors.append(errorsBody);

    const actions = el('div', 'actions');
    const buttons = {};
    for (const { action, label } of ACTIONS) {
      const button = el('button', `button action ${action}`, label);
      button.type = 'button';
      button.addEventListener('click', () => void act(view, action));
      buttons[action] = button;
      actions.append(button);
    }
    const actionError = el('p', 'action-error');
    actionError.setAttribute('role', 'alert');
    actionError.hidden = true;

    const panels = el('div', 'panels');
    panels.append(mps, rate, deliveryRate, errors);
    const foot = el('footer', 'batch-foot');
    foot.append(actions, actionError);
    root.append(head, bar, counts, delivery, reason, panels, foot);

    const view = {
      root,
      batch: null,
      eventSeq: 0,
      samples: [],
      errors: null,
      errorsTimer: null,
      errorsQueued: false,
      busy: false,
      nodes: {
        status,
        text,
        priority,
        created,
        bar,
        segments,
        countValues,
        delivery,
        deliveryBar,
        deliverySegments,
        deliveryValues,
        deliveryRate,
        deliveryRateValue,
        panels,
        reason,
        mpsValue,
        spark,
        sparkArea,
        sparkLine,
        rateValue,
        errorsBody,
        buttons,
        actionError,
        foot,
      },
    };
    return view;
  }

  function metric(label, value) {
    const box = el('div', 'metric');
    box.append(el('h3', 'panel-title', label), value);
    return box;
  }

  function render(view) {
    const { batch, nodes } = view;
    const { progress, metrics } = batch;
    view.root.dataset.status = batch.status;
    nodes.status.textContent = batch.status;
    nodes.status.dataset.status = batch.status;
    nodes.text.textContent = batch.text;
    nodes.text.title = batch.text;
    nodes.priority.textContent = `${batch.priority} priority`;
    nodes.created.textContent = `created ${formatTime(batch.createdAt)}`;
    nodes.created.dateTime = batch.createdAt;

    for (const name of ['completed', 'failed', 'cancelled']) {
      const share = progress.total > 0 ? (progress[name] / progress.total) * 100 : 0;
      nodes.segments[name].style.width = `${share}%`;
    }
    const final = progress.total - progress.pending;
    nodes.bar.setAttribute('aria-valuemax', String(progress.total));
    nodes.bar.setAttribute('aria-valuenow', String(final));
    for (const name of [...COUNTS, 'total']) {
      nodes.countValues[name].textContent = String(progress[name] ?? 0);
    }

    const reason = batch.failureReason || batch.pauseReason;
    nodes.reason.hidden = !reason;
    nodes.reason.textContent = reason || '';

    nodes.mpsValue.textContent = formatNumber(metrics.messagesPerSecond);
    nodes.mpsValue.title = String(metrics.messagesPerSecond);
    // Nothing final yet: the API's 0 would read as "everything failed".
    const judged = (progress.completed ?? 0) + (progress.failed ?? 0) > 0;
    nodes.rateValue.textContent = judged ? `${formatNumber(metrics.successRate * 100)}%` : '–';
    nodes.rateValue.title = judged ? String(metrics.successRate) : 'No message is final yet';
    renderDelivery(view);
    drawSpark(view);
    renderErrors(view);
    renderActions(view);
  }

  function renderDelivery(view) {
    const { batch, nodes } = view;
    const delivery = batch.delivery && typeof batch.delivery === 'object' ? batch.delivery : null;
    const rate = batch.metrics ? batch.metrics.deliveryRate : undefined;
    nodes.deliveryRate.hidden = !delivery && rate === undefined;
    nodes.panels.classList.toggle('with-delivery', !nodes.deliveryRate.hidden);
    // Nothing accepted yet (or nothing known of delivery): no row of zeros.
    nodes.delivery.hidden = true;
    if (delivery) {
      const counts = {};
      for (const { name } of DELIVERY) {
        const count = Number(delivery[name]);
        counts[name] = Number.isFinite(count) && count > 0 ? count : 0;
        nodes.deliveryValues[name].textContent = String(counts[name]);
      }
      // Shares of the accepted messages; what no segment covers is still awaiting a receipt.
      const accepted = DELIVERY.reduce((sum, { name }) => sum + counts[name], 0);
      nodes.delivery.hidden = accepted === 0;
      for (const { name } of DELIVERY) {
        const share = accepted > 0 ? (counts[name] / accepted) * 100 : 0;
        nodes.deliverySegments[name].style.width = `${share}%`;
      }
      nodes.deliveryBar.setAttribute(
        'aria-label',
        DELIVERY.map(({ name, label }) => `${label} ${counts[name]}`).join(', '),
      );
    }
    // Null until the first final receipt: no receipt is not "nothing arrived".
    const known = typeof rate === 'number' && Number.isFinite(rate);
    nodes.deliveryRateValue.textContent = known ? `${formatNumber(rate * 100)}%` : '—';
    nodes.deliveryRateValue.title = known
      ? `${rate} of the messages with a final receipt were delivered`
      : 'No final receipt yet';
  }

  function renderActions(view) {
    let any = false;
    for (const { action, from } of ACTIONS) {
      const button = view.nodes.buttons[action];
      const allowed = from.includes(view.batch.status);
      button.hidden = !allowed;
      button.disabled = view.busy;
      any = any || allowed;
    }
    view.nodes.foot.hidden = !any && view.nodes.actionError.hidden;
  }

  async function act(view, action) {
    if (view.busy) return;
    view.busy = true;
    view.nodes.actionError.hidden = true;
    renderActions(view);
    try {
      const batch = await api('POST', `/api/batch/${encodeURIComponent(view.batch.id)}/${action}`);
      state.eventSeq += 1;
      upsert(batch, true);
    } catch (error) {
      if (error instanceof Refused) return;
      view.nodes.actionError.textContent = `${capitalize(action)} failed: ${error.message}`;
      view.nodes.actionError.hidden = false;
      view.nodes.foot.hidden = false;
    } finally {
      view.busy = false;
      if (view.batch) renderActions(view);
    }
  }

  // ---- messages per second ------------------------------------------------------------------

  function addSample(view, value) {
    const now = Date.now();
    view.samples.push({ t: now, v: Number(value) || 0 });
    while (view.samples.length > 2 && view.samples[0].t < now - SPARK_WINDOW_MS)
      view.samples.shift();
  }

  function drawSpark(view) {
    const samples = view.samples;
    // A line needs two readings, and a flat zero says no more than the figure above it.
    const empty = samples.length < 2 || samples.every((s) => s.v === 0);
    view.nodes.spark.classList.toggle('empty', empty);
    if (empty) return;
    const first = samples[0].t;
    const span = Math.max(samples[samples.length - 1].t - first, 1);
    const peak = Math.max(...samples.map((s) => s.v), 1);
    const pad = 2;
    const x = (t) => ((t - first) / span) * SPARK_WIDTH;
    const y = (v) => SPARK_HEIGHT - pad - (v / peak) * (SPARK_HEIGHT - 2 * pad);
    const points = samples.map((s) => `${x(s.t).toFixed(1)},${y(s.v).toFixed(1)}`);
    view.nodes.sparkLine.setAttribute('points', points.join(' '));
    const floor = SPARK_HEIGHT.toFixed(1);
    const startX = points[0].split(',')[0];
    view.nodes.sparkArea.setAttribute(
      'points',
      `${startX},${floor} ${points.join(' ')} ${SPARK_WIDTH},${floor}`,
    );
  }

  // ---- errors by category -------------------------------------------------------------------

  /** `batch:error`: a category appeared. Show it at once, then read the summary for its counts. */
  function onErrorEvent(event) {
    const view = state.views.get(event.id);
    if (!view) {
      // A batch we have not seen yet: read it, which also reads its errors.
      api('GET', `/api/batch/${encodeURIComponent(event.id)}`).then(
        (batch) => upsert(batch, false),
        () => undefined,
      );
      return;
    }
    const row = event.summary && typeof event.summary === 'object' ? event.summary : {};
    const summary = view.errors ? view.errors.slice() : [];
    if (!summary.some((known) => known.category === event.category)) {
      summary.push({ ...row, category: event.category });
      view.errors = summary;
      renderErrors(view);
    }
    queueErrors(view, 200);
  }

  function queueErrors(view, delay) {
    if (view.errorsTimer || view.errorsQueued) return;
    view.errorsTimer = setTimeout(() => {
      view.errorsTimer = null;
      view.errorsQueued = true;
      state.errorsQueue.push(view);
      pumpErrors();
    }, delay);
  }

  function pumpErrors() {
    while (state.errorsRunning < ERRORS_CONCURRENCY && state.errorsQueue.length > 0) {
      const view = state.errorsQueue.shift();
      state.errorsRunning += 1;
      const generation = state.generation;
      api('GET', `/api/batch/${encodeURIComponent(view.batch.id)}/errors?limit=1`)
        .then(
          (log) => {
            view.errors = Array.isArray(log.summary) ? log.summary : [];
            renderErrors(view);
          },
          () => undefined,
        )
        .finally(() => {
          view.errorsQueued = false;
          if (generation !== state.generation) return;
          state.errorsRunning -= 1;
          pumpErrors();
        });
    }
  }

  function renderErrors(view) {
    const body = view.nodes.errorsBody;
    const summary = view.errors;
    if (!summary || summary.length === 0) {
      const known = summary || view.batch.status === 'pending';
      body.replaceChildren(el('p', 'quiet-text', known ? 'No errors' : 'Loading…'));
      return;
    }
    const table = el('table', 'errors-table');
    const head = el('tr');
    for (const label of ['Category', 'Attempts', 'Messages']) head.append(el('th', '', label));
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    for (const row of summary) {
      const tr = el('tr');
      tr.dataset.category = String(row.category);
      const category = el('td', 'category', String(row.category).replace(/_/g, ' '));
      if (typeof row.example === 'string') category.title = row.example;
      tr.append(
        category,
        el('td', 'num', row.count === undefined ? '…' : String(row.count)),
        el('td', 'num', row.messages === undefined ? '…' : String(row.messages)),
      );
      tbody.append(tr);
    }
    table.append(thead, tbody);
    body.replaceChildren(table);
  }

  // ---- formatting ---------------------------------------------------------------------------

  /** Whole numbers as given; fractions to two decimals (the exact value is in the title). */
  function formatNumber(value) {
    const number = Number(value);
    if (!Number.isFinite(number)) return String(value);
    if (Number.isInteger(number)) return String(number);
    return String(Math.round(number * 100) / 100);
  }

  function formatTime(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
  }

  function capitalize(word) {
    return word.charAt(0).toUpperCase() + word.slice(1);
  }

  // ---- start --------------------------------------------------------------------------------

  ui.keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = ui.keyInput.value.trim();
    if (key) useKey(key);
  });
  ui.forget.addEventListener('click', () => forgetKey(''));
  ui.more.addEventListener('click', () => {
    if (state.nextCursor) void loadList(state.nextCursor);
  });

  const key = storedKey();
  if (key) useKey(key);
  else showKeyForm('');
})();
