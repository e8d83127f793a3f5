// Data, state, formatting and the view (tab membership, sort, search): see html_data.py.
// Fragment: html.py joins the report_*.js files inside one strict-mode function.
const $ = (sel) => document.querySelector(sel);
const el = (tag, props, ...children) => {
  const node = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
};

const meta = JSON.parse($("#cs-meta").textContent);
const rows = JSON.parse($("#cs-rows").textContent);
const D = meta.dict;
const COLS = meta.columns.map((c, i) => Object.assign({ i }, c));
const COL = Object.fromEntries(COLS.map((c) => [c.id, c]));
const N = COLS.length;
const X = { company: N, watch: N + 1, orders: N + 2 };
const O = { id: 0, account: 1, at: 2, status: 3, currency: 4, total: 5, discount: 6,
  units: 7, returned: 8, returnedAt: 9, rating: 10, feedbackAt: 11, codes: 12 };
for (const r of rows) {
  for (const o of r[X.orders]) {
    while (o.length < 13) o.push(o.length === O.codes ? "" : o.length === O.returned ? 0 : null);
  }
}
// Each customer's buyers and links, read on first use (a panel, a search): not when the page opens.
let identities = null;
const identityAt = (i) => (identities || (identities = JSON.parse($("#cs-identity").textContent)))[i];
const TABS = meta.tabs;
const HIDDEN_KEY = "custsync.report.hiddenColumns";
const PER_PAGE_KEY = "custsync.report.perPage";
const FORMULA_START = /^[=+\-@\t\r]/;
const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
const intFmt = new Intl.NumberFormat("en-US");
const moneyFmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const store = {
  get(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
  set(key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ } },
  remove(key) { try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ } },
};

const loadHidden = () => {
  const saved = store.get(HIDDEN_KEY);
  if (saved) {
    try { return new Set(JSON.parse(saved).filter((id) => id in COL)); } catch (e) { /* ignore */ }
  }
  return new Set(meta.default_hidden);
};
const savedPer = Number(store.get(PER_PAGE_KEY));
const state = {
  tab: TABS[0].id, query: "", sort: null, page: 1,
  per: [10, 25, 50, 100].includes(savedPer) ? savedPer : 25,
  hidden: loadHidden(),
};

// ---- values and formatting ----
const money = (c, currency) => moneyFmt.format(c / 100) + (currency ? " " + currency : "");
const moneyExact = (c) => {
  const sign = c < 0 ? "-" : "";
  const a = Math.abs(c);
  return sign + Math.floor(a / 100) + "." + String(a % 100).padStart(2, "0");
};
const iso = (s) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
const day = (s) => (s == null ? "" : iso(s).slice(0, 10));
const currencyOf = (r) => D[r[COL.currency.i]];
const watched = (r) => r[X.watch] !== 0;
const display = (r, c) => {
  const v = r[c.i];
  switch (c.kind) {
    case "money": return money(v, "");
    case "time": return day(v);
    case "int": return intFmt.format(v);
    case "dict": return D[v];
    default: return v;
  }
};
const exportCell = (r, c) => {
  const v = r[c.i];
  switch (c.kind) {
    case "money": return moneyExact(v);
    case "time": return v == null ? "" : iso(v);
    case "int": return String(v);
    case "dict": return safeText(D[v]);
    default: return c.id === "customer_id" ? v : safeText(v);
  }
};
const safeText = (s) => (s && FORMULA_START.test(s) ? "'" + s : s || "");

// ---- tab membership, sorting, search (cached; only the visible page is rendered) ----
const tabDef = (id) => TABS.find((t) => t.id === id);
const memberCache = new Map();
const members = (tabId) => {
  if (memberCache.has(tabId)) return memberCache.get(tabId);
  const where = tabDef(tabId).where;
  const out = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (where === null || (where === "watch" ? watched(r) : r[COL[where].i] > 0)) out.push(i);
  }
  memberCache.set(tabId, out);
  return out;
};
const defaultSort = (tabId) => ({ col: tabDef(tabId).sort, desc: true });
const currentSort = () => state.sort || defaultSort(state.tab);
const keyOf = (col) => {
  if (col === "watch") return (r) => (watched(r) ? r[X.watch][0] : null);
  const c = COL[col];
  if (c.kind === "dict") return (r) => D[r[c.i]];
  return (r) => r[c.i];
};
const sortCache = new Map();
const sorted = (tabId, sort) => {
  const cacheKey = tabId + "|" + sort.col + "|" + sort.desc;
  if (sortCache.has(cacheKey)) return sortCache.get(cacheKey);
  const base = members(tabId);
  const key = keyOf(sort.col);
  const keys = base.map((i) => key(rows[i]));
  const numeric = keys.some((k) => typeof k === "number");
  const dir = sort.desc ? -1 : 1;
  const order = base.map((_, j) => j);
  order.sort((a, b) => {
    const ka = keys[a], kb = keys[b];
    const na = ka == null || ka === "", nb = kb == null || kb === "";
    if (na || nb) return na === nb ? a - b : na ? 1 : -1; // empty last, either direction
    const d = numeric ? ka - kb : collator.compare(ka, kb);
    return d ? d * dir : a - b; // ties: customer id order, as the CSV files
  });
  const out = order.map((j) => base[j]);
  sortCache.set(cacheKey, out);
  return out;
};
let haystack = null;
const digits = (s) => (s || "").replace(/\D/g, "");
const searchText = (r, i) => [r[COL.customer_id.i], r[COL.name.i], r[COL.email.i], r[COL.phone.i],
  r[X.company], ...identityAt(i)[0].map((b) => b[1])].join("\n").toLowerCase();
const matcher = (query) => {
  const q = query.trim().toLowerCase();
  if (!q) return null;
  if (!haystack) haystack = rows.map(searchText);
  const qd = /^[\d\s()+.\-/]+$/.test(q) && digits(q).length >= 4 ? digits(q) : null;
  return (i) => haystack[i].includes(q) || (qd !== null && digits(rows[i][COL.phone.i]).includes(qd));
};
let viewCache = { key: null, list: null };
const view = () => {
  const sort = currentSort();
  const key = state.tab + "|" + sort.col + "|" + sort.desc + "|" + state.query;
  if (viewCache.key === key) return viewCache.list;
  const base = sorted(state.tab, sort);
  const match = matcher(state.query);
  const list = match ? base.filter(match) : base;
  viewCache = { key, list };
  return list;
};
