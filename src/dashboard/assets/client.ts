/**
 * The dashboard's only script, served as a file (the Content-Security-Policy allows no inline
 * script). Pages work without it; it adds the theme toggle, local and relative times,
 * confirmations, and live updates:
 * a run page's live region listens on its RunObject's WebSocket and, when told of a change,
 * fetches its own HTML again from the server, which renders and escapes everything; a list page's
 * region fetches itself every few seconds while the page is visible.
 */
export const CLIENT_SCRIPT = `
(function () {
  var root = document.documentElement;
  var saved = localStorage.getItem("stepwise-theme");
  if (saved) root.dataset.theme = saved;
  var toggle = document.getElementById("theme-toggle");
  if (toggle) toggle.addEventListener("click", function () {
    var dark = root.dataset.theme ? root.dataset.theme === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
    root.dataset.theme = dark ? "light" : "dark";
    localStorage.setItem("stepwise-theme", root.dataset.theme);
  });

  // Times arrive in UTC (and read so without this script): shown in the browser's zone, with how
  // long ago (or how soon) they are; the exact UTC time stays in the title.
  var relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  var UNITS = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  function ago(ms) {
    var seconds = Math.round((ms - Date.now()) / 1000);
    for (var i = 0; i < UNITS.length; i++) {
      var size = UNITS[i][1];
      if (Math.abs(seconds) >= size || size === 1) return relative.format(Math.round(seconds / size), UNITS[i][0]);
    }
  }
  function localizeTimes(scope) {
    Array.prototype.forEach.call(scope.querySelectorAll("time[datetime]"), function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) return;
      el.textContent = at.toLocaleString("sv-SE") + " · " + ago(at.getTime());
      el.title = at.toISOString();
    });
  }
  localizeTimes(document);

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !confirm(message)) event.preventDefault();
  });

  var region = document.querySelector("[data-live], [data-poll]");
  if (!region) return;
  var indicator = document.getElementById("live-indicator");
  var sockets = JSON.parse(region.getAttribute("data-live") || "[]");
  var poll = Number(region.getAttribute("data-poll") || 0);
  var pending = false, busy = false, lastAt = 0, open = 0;

  function setState() {
    if (!indicator) return;
    indicator.className = "live " + (open > 0 ? "on" : "off");
    indicator.textContent = open > 0 ? "live" : "reconnecting";
  }

  function refresh() {
    if (busy) { pending = true; return; }
    busy = true; pending = false; lastAt = Date.now();
    var opened = Array.prototype.map.call(region.querySelectorAll("details[open][id]"), function (d) { return d.id; });
    fetch(region.getAttribute("data-src") || location.href, { headers: { "x-stepwise-fragment": "1" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        region.innerHTML = html;
        localizeTimes(region);
        opened.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
        region.dispatchEvent(new CustomEvent("stepwise:updated"));
      })
      .catch(function () {})
      .then(function () { busy = false; if (pending) schedule(); });
  }

  function schedule() {
    if (busy) { pending = true; return; }
    setTimeout(refresh, Math.max(0, lastAt + 250 - Date.now()));
  }

  function connect(path, delay) {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    var socket = new WebSocket(url);
    var wasOpen = false;
    socket.onopen = function () { wasOpen = true; open++; setState(); schedule(); };
    socket.onmessage = schedule;
    socket.onclose = function () {
      if (wasOpen) open--;
      setState();
      var next = wasOpen ? 1000 : Math.min(delay * 2, 15000);
      setTimeout(function () { connect(path, next); }, next);
    };
  }
  sockets.forEach(function (path) { connect(path, 1000); });
  if (poll > 0) {
    open++;
    setInterval(function () { if (!document.hidden) schedule(); }, poll);
  }
  setState();
})();
`;
