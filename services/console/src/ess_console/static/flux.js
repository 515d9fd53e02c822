// The live feed: every 3 s, the rows after the last sequence read, newest first; a pause button. Without
// script the page still works: a link shows what came since.
(function () {
  var table = document.getElementById("flux");
  if (!table) return;
  var rows = document.getElementById("flux-lignes");
  var status = document.getElementById("flux-etat");
  var pause = document.getElementById("flux-pause");
  var paused = false;
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Reprendre" : "Mettre en pause";
    status.textContent = paused ? "Flux en pause." : "Flux repris.";
  });
  function poll() {
    if (paused) return;
    var filters = table.dataset.filters;
    var url = "/exploitation/flux/suite?after=" + table.dataset.after + (filters ? "&" + filters : "");
    fetch(url, { credentials: "same-origin" })
      .then(function (answer) {
        if (!answer.ok) throw new Error(String(answer.status));
        table.dataset.after = answer.headers.get("X-Suivant") || table.dataset.after;
        return answer.text();
      })
      .then(function (html) {
        var count = (html.match(/<tr>/g) || []).length;
        if (!count) return;
        rows.insertAdjacentHTML("afterbegin", html);
        var empty = document.getElementById("flux-vide");
        if (empty) empty.remove();
        status.textContent = count + (count > 1 ? " nouveaux messages." : " nouveau message.");
      })
      .catch(function () { status.textContent = "Le flux ne répond pas ; nouvel essai dans un instant."; });
  }
  setInterval(poll, 3000);
})();
