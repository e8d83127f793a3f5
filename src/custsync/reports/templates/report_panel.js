// The customer panel, the CSV export of the view, and wiring the controls.
// ---- customer panel ----
const kv = (pairs) => el("dl", { class: "cs-kv" }, ...pairs.filter(([, v]) => v !== "" && v != null)
  .flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));

const timelineOf = (r) => {
  const events = [];
  for (const o of r[X.orders]) {
    const status = D[o[O.status]];
    events.push({ at: o[O.at], kind: status === "cancelled" ? "cancelled" : "order",
      text: `Order ${o[O.id]} — ${status}, ${money(o[O.total], D[o[O.currency]])} (${D[o[O.account]]})` });
    if (o[O.returned]) events.push({ at: o[O.returnedAt], kind: "return", text: `${o[O.returned]} unit(s) returned from ${o[O.id]}` });
    if (o[O.rating] != null) events.push({ at: o[O.feedbackAt], kind: "feedback", text: `Feedback ${o[O.rating]}/5 on ${o[O.id]}` });
  }
  if (watched(r)) events.push({ at: r[X.watch][0], kind: "watch", text: "Added to the watchlist" + (r[X.watch][1] ? ": " + r[X.watch][1] : "") });
  events.sort((a, b) => b.at - a.at);
  return el("ol", { class: "cs-timeline" }, ...events.map((e) => el("li", { class: "cs-ev-" + e.kind },
    el("time", { datetime: iso(e.at), text: iso(e.at).replace("T", " ").replace("Z", " UTC") }), e.text)));
};

const summaryOf = (o) => {
  const cancelled = D[o[O.status]] === "cancelled";
  const revenue = cancelled ? 0 : o[O.total];
  const units = o[O.units];
  const refund = units ? Math.round((revenue * Math.min(o[O.returned], units)) / units) : 0;
  const cur = D[o[O.currency]];
  return kv([["Revenue", money(revenue, cur)], ["Discount", money(o[O.discount], cur)],
    ["Returned units", String(o[O.returned])], ["Refunds (est.)", money(refund, cur)],
    ["Net", money(revenue - refund, cur)], ["Promo codes", o[O.codes].split(";").join(", ")],
    ["Feedback", o[O.rating] == null ? "" : o[O.rating] + "/5"]]);
};

const orderTable = (r) => {
  const head = el("tr", null, ...["Order", "Date", "Account", "Status", "Total", "Discount", "Units", "Returned", "Codes"]
    .map((h, n) => el("th", { class: n >= 4 && n <= 7 ? "num" : "", text: h })));
  const body = [];
  for (const o of [...r[X.orders]].reverse()) {
    const cur = D[o[O.currency]];
    const status = D[o[O.status]];
    const summary = el("tr", { class: "cs-summary", hidden: "" }, el("td", { colspan: "9" }, summaryOf(o)));
    const row = el("tr", { class: "cs-order", "data-order": o[O.id], tabindex: "0",
      onclick: () => { summary.hidden = !summary.hidden; } },
      el("td", { text: o[O.id] }), el("td", { text: day(o[O.at]) }), el("td", { text: D[o[O.account]] }),
      el("td", null, el("span", { class: "cs-status cs-status-" + status, text: status })),
      el("td", { class: "num", text: money(o[O.total], cur) }), el("td", { class: "num", text: money(o[O.discount], cur) }),
      el("td", { class: "num", text: String(o[O.units]) }), el("td", { class: "num", text: String(o[O.returned]) }),
      el("td", { text: o[O.codes].split(";").join(", ") }));
    row.addEventListener("keydown", (e) => { if (e.key === "Enter") row.click(); });
    body.push(row, summary);
  }
  return el("div", { class: "cs-orders-wrap" }, el("table", { class: "cs-orders" }, el("thead", null, head), el("tbody", null, ...body)));
};

// Which buyers make up the customer, and why: each link's rule, score and evidence.
const buyerText = (b) => `${D[b[0]]}:${b[1]}${b[2] ? " (weak key)" : ""}`;  // as --buyer takes it
const linkHead = ([a, b, rule, score, sure]) => `Buyer ${a + 1} ↔ buyer ${b + 1}: rule ${D[rule]}, `
  + `score ${score.toFixed(2)}${sure ? ", sure" : ""}`;
const linkItem = (link) => el("li", null,
  el("div", { class: "cs-link-head", text: linkHead(link) }),
  kv(link.slice(5).map(([field, ...parts]) => [D[field], parts.map((p) => D[p]).join("; ")])));
// The strongest links that join every buyer first (each joins two buyers not yet joined), then
// the others: a customer of 19 buyers may hold 170 links.
const joiningFirst = (count, links) => {
  const up = [...Array(count).keys()];
  const top = (n) => (up[n] === n ? n : (up[n] = top(up[n])));
  const joining = [], others = [];
  for (const link of links) {
    const [a, b] = [top(link[0]), top(link[1])];
    if (a !== b) up[a] = b;
    (a !== b ? joining : others).push(link);
  }
  return [joining, others];
};
const identityOf = (r, i) => {
  const [buyers, links = []] = identityAt(i);
  const parts = [el("h3", { text: `Buyers (${buyers.length})` }),
    el("ol", { class: "cs-buyers" }, ...buyers.map((b) => el("li", { text: buyerText(b) })))];
  if (buyers.length < 2) return parts;
  const [joining, others] = joiningFirst(buyers.length, links);
  parts.push(el("h3", { text: "Why one customer" }));
  if (joining.length) parts.push(el("ol", { class: "cs-links" }, ...joining.map(linkItem)));
  if (others.length) {
    parts.push(el("details", { class: "cs-more-links" },
      el("summary", { text: `${others.length} more link${others.length === 1 ? "" : "s"} between these buyers` }),
      el("ol", { class: "cs-links" }, ...others.map(linkItem))));
  }
  if (joining.length < buyers.length - 1) {
    parts.push(el("p", { class: "cs-note", text: "Some of these buyers were joined by an operator (custsync customers merge), not by a link." }));
  }
  parts.push(el("p", { class: "cs-note", text: "Not one person? Split a buyer off: " },
    el("code", { text: `custsync customers split ${r[COL.customer_id.i]} --buyer ACCOUNT:KEY` })));
  return parts;
};

function openPanel(i) {
  const r = rows[i];
  const cur = currencyOf(r);
  const name = r[COL.name.i] || "(no name)";
  $("#cs-panel-title").textContent = name;
  const orders = r[COL.orders.i];
  const metrics = [["Orders", intFmt.format(orders)], ["Units", intFmt.format(r[COL.units.i])],
    ["Amount spent", money(r[COL.amount_spent.i], cur)],
    ["Avg. order value", money(orders ? Math.round(r[COL.amount_spent.i] / orders) : 0, cur)],
    ["Discount", money(r[COL.discount_received.i], cur)], ["Promo codes", String(r[COL.promo_codes_used.i])],
    ["Negative feedbacks", String(r[COL.negative_feedbacks.i])], ["Returned units", String(r[COL.returned_units.i])],
    ["First order", day(r[COL.first_order_at.i])], ["Last order", day(r[COL.last_order_at.i])]];
  const place = [r[COL.zip.i], D[r[COL.city.i]], D[r[COL.state.i]], D[r[COL.country.i]]].filter(Boolean).join(", ");
  $("#cs-panel-body").replaceChildren(...[
    watched(r) ? el("p", null, el("span", { class: "cs-badge", text: "On the watchlist" + (r[X.watch][1] ? ": " + r[X.watch][1] : "") })) : null,
    el("h3", { text: "Details" }),
    kv([["Customer ID", r[COL.customer_id.i]], ["Email", r[COL.email.i]], ["Phone", r[COL.phone.i]],
      ["Company", r[X.company]], ["Address", r[COL.address.i]], ["Place", place],
      ["Seller accounts", D[r[COL.seller_accounts.i]].split(";").join(", ")]]),
    el("h3", { text: "Metrics" }),
    el("div", { class: "cs-metrics" }, ...metrics.map(([k, v]) => el("div", null, el("span", { text: k }), el("span", { text: v })))),
    ...identityOf(r, i),
    el("h3", { text: "Timeline" }), timelineOf(r),
    el("h3", { text: `Order list (${r[X.orders].length})` }), orderTable(r)].filter(Boolean));
  const panel = $("#cs-panel");
  panel.dataset.customer = r[COL.customer_id.i];
  panel.hidden = false;
  $("#cs-panel-close").focus();
}
const closePanel = () => { $("#cs-panel").hidden = true; };

// ---- export (visible columns; formulas escaped as in the CSV files) ----
const csvField = (s) => (/[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);
const exportRows = (indexes) => {
  const cols = visibleCols();
  const lines = [cols.map((c) => c.id).join(",")];
  for (const i of indexes) lines.push(cols.map((c) => csvField(exportCell(rows[i], c))).join(","));
  const blob = new Blob(["\ufeff" + lines.join("\n") + "\n"], { type: "text/csv;charset=utf-8" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `customers-${state.tab}-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
};

// ---- wiring ----
let searchTimer = 0;
$("#cs-search").addEventListener("input", (e) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => { state.query = e.target.value; state.page = 1; render(); }, 120);
});
$("#cs-per-page").addEventListener("change", (e) => {
  state.per = Number(e.target.value);
  store.set(PER_PAGE_KEY, String(state.per));
  state.page = 1;
  render();
});
for (const b of document.querySelectorAll("#cs-pager [data-page]")) {
  b.addEventListener("click", () => {
    const step = { first: -Infinity, prev: -1, next: 1, last: Infinity }[b.dataset.page];
    state.page = Number.isFinite(step) ? state.page + step : step < 0 ? 1 : Number.MAX_SAFE_INTEGER;
    render();
  });
}
$("#cs-columns-reset").addEventListener("click", () => {
  store.remove(HIDDEN_KEY);
  state.hidden = new Set(meta.default_hidden);
  renderColumnMenu();
  render();
});
$("#cs-export-page").addEventListener("click", () => exportRows(pageSlice().slice));
$("#cs-export-all").addEventListener("click", () => exportRows(view()));
$("#cs-panel-close").addEventListener("click", closePanel);
document.addEventListener("keydown", (e) => { if (e.key === "Escape") closePanel(); });

renderStats();
renderColumnMenu();
render();
