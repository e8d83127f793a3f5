// Rendering the visible page: statistics, tabs, header, rows, totals, pager, columns.
// ---- rendering ----
const visibleCols = () => COLS.filter((c) => !state.hidden.has(c.id));
const eye = () => {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "cs-eye");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z");
  const dot = document.createElementNS(ns, "circle");
  dot.setAttribute("cx", "12"); dot.setAttribute("cy", "12"); dot.setAttribute("r", "3");
  svg.append(path, dot);
  return svg;
};

const renderStats = () => {
  const s = meta.stats;
  const cur = s.currency && !s.currency.includes(",") ? s.currency : "";
  const set = (name, text) => { $(`[data-stat="${name}"]`).textContent = text; };
  set("customers", intFmt.format(s.customers));
  set("repeat_rate", (s.repeat_rate * 100).toFixed(1) + " %");
  set("revenue", money(s.revenue_cents, cur));
  set("aov", money(s.aov_cents, cur));
};

const renderTabs = () => {
  const nav = $("#cs-tabs");
  nav.replaceChildren(...TABS.map((t) => el("button", {
    type: "button", role: "tab", "data-tab": t.id,
    "aria-selected": String(t.id === state.tab),
    onclick: () => { state.tab = t.id; state.sort = null; state.page = 1; render(); },
  }, t.label, el("span", { class: "cs-tab-count", text: intFmt.format(members(t.id).length) }))));
};

const renderHead = (cols) => {
  const sort = currentSort();
  $("#cs-grid thead tr").replaceChildren(...cols.map((c) => {
    const th = el("th", { scope: "col", "data-col": c.id, class: c.kind === "int" || c.kind === "money" ? "num" : "" },
      el("button", { type: "button", text: c.label, onclick: () => sortBy(c) }));
    if (sort.col === c.id) th.setAttribute("aria-sort", sort.desc ? "descending" : "ascending");
    return th;
  }));
};

const sortBy = (c) => {
  const sort = currentSort();
  const numeric = c.kind !== "text" && c.kind !== "dict";
  state.sort = sort.col === c.id ? { col: c.id, desc: !sort.desc } : { col: c.id, desc: numeric };
  state.page = 1;
  render();
};

const cellFor = (i, r, c) => {
  const numeric = c.kind === "int" || c.kind === "money";
  const td = el("td", numeric ? { class: "num" } : null);
  if (c.id === "name") {
    if (watched(r)) td.append(eye());
    td.append(el("button", { type: "button", class: "cs-name", "data-row": String(i),
      text: r[c.i] || "(no name)", onclick: () => openPanel(i) }));
    if (watched(r)) td.title = "On the watchlist" + (r[X.watch][1] ? ": " + r[X.watch][1] : "");
  } else {
    td.textContent = display(r, c);
    if (c.kind === "text" || c.kind === "dict") td.title = td.textContent;
  }
  return td;
};

const renderBody = (cols, slice) => {
  const body = $("#cs-grid tbody");
  if (!slice.length) {
    body.replaceChildren(el("tr", null, el("td", { class: "cs-empty", colspan: String(cols.length || 1),
      text: state.query ? "No customer matches this search." : "No customers in this view." })));
    return;
  }
  body.replaceChildren(...slice.map((i) => {
    const r = rows[i];
    const tr = el("tr", { "data-customer": r[COL.customer_id.i] });
    if (watched(r)) tr.className = "cs-watched";
    tr.append(...cols.map((c) => cellFor(i, r, c)));
    return tr;
  }));
};

const renderFoot = (cols, list) => {
  const sums = {};
  for (const c of cols) if (c.kind === "int" || c.kind === "money") sums[c.id] = 0;
  const ids = Object.keys(sums);
  for (const i of list) { const r = rows[i]; for (const id of ids) sums[id] += r[COL[id].i]; }
  $("#cs-grid tfoot tr").replaceChildren(...cols.map((c, n) => {
    if (c.id in sums) return el("td", { class: "num", "data-total": c.id, text: c.kind === "money" ? money(sums[c.id], "") : intFmt.format(sums[c.id]) });
    return el("td", { text: n === 0 ? "Total (" + intFmt.format(list.length) + ")" : "" });
  }));
};

const renderPager = (total, start, shown, pages) => {
  $("#cs-range").textContent = total
    ? `Showing ${intFmt.format(start + 1)}–${intFmt.format(start + shown)} of ${intFmt.format(total)} customers`
    : "Showing 0 of 0 customers";
  $("#cs-page-of").textContent = `Page ${intFmt.format(state.page)} of ${intFmt.format(pages)}`;
  for (const b of document.querySelectorAll("#cs-pager [data-page]")) {
    const back = b.dataset.page === "first" || b.dataset.page === "prev";
    b.disabled = back ? state.page <= 1 : state.page >= pages;
  }
  $("#cs-per-page").value = String(state.per);
};

const renderColumnMenu = () => {
  $("#cs-column-list").replaceChildren(...COLS.map((c) => {
    const box = el("input", { type: "checkbox", "data-col": c.id });
    box.checked = !state.hidden.has(c.id);
    box.addEventListener("change", () => {
      if (box.checked) state.hidden.delete(c.id); else state.hidden.add(c.id);
      store.set(HIDDEN_KEY, JSON.stringify([...state.hidden]));
      render();
    });
    return el("label", null, box, c.label);
  }));
};

const pageSlice = () => {
  const list = view();
  const pages = Math.max(1, Math.ceil(list.length / state.per));
  state.page = Math.min(Math.max(1, state.page), pages);
  const start = (state.page - 1) * state.per;
  return { list, pages, start, slice: list.slice(start, start + state.per) };
};

function render() {
  const cols = visibleCols();
  const { list, pages, start, slice } = pageSlice();
  renderTabs();
  renderHead(cols);
  renderBody(cols, slice);
  renderFoot(cols, list);
  renderPager(list.length, start, slice.length, pages);
  document.body.dataset.ready = "true";
}
