// The live feed: 3 s after each answer, the rows after the last sequence read, newest first; a pause button.
// One request at a time: on a slow service, overlapping requests would both insert the same rows. Without
// script the page still works: a link shows what came since.
(function () {
  var table = document.getElementById("flux");
  if (!table) return;
  var rows = document.getElementById("flux-lignes");
  var status = document.getElementById("flux-etat");
  var pause = document.getElementById("flux-pause");
  var EVERY = 3000;
  var paused = false;
  var waiting = null; // the next poll's timer, when one is due
  var asking = false; // a request is on its way

  function later() {
    if (!paused && waiting === null && !asking) waiting = setTimeout(poll, EVERY);
  }

  function say(text) {
    status.textContent = text;
  }

  // The label says what the button does; the live region says what happened.
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.textContent = paused ? "Reprendre le flux" : "Mettre en pause";
    if (paused) {
      clearTimeout(waiting);
      waiting = null;
      say("Flux en pause : les nouveaux messages s'afficheront à la reprise.");
    } else {
      say("Flux repris.");
      if (!asking) poll();
    }
  });

  function shown(html) {
    var count = (html.match(/<tr>/g) || []).length;
    if (!count) return;
    rows.insertAdjacentHTML("afterbegin", html);
    var empty = document.getElementById("flux-vide");
    if (empty) empty.remove();
    var newest = rows.querySelector("tr td a");
    var upTo = newest ? " (jusqu'au n° " + newest.textContent + ")" : "";
    say(count + (count > 1 ? " nouveaux messages" : " nouveau message") + upTo + ".");
  }

  function poll() {
    waiting = null;
    if (paused) return;
    asking = true;
    var filters = table.dataset.filters;
    var url = "/exploitation/flux/suite?after=" + table.dataset.after + (filters ? "&" + filters : "");
    fetch(url, { credentials: "same-origin" })
      .then(function (answer) {
        if (answer.redirected) throw new Error("signed out");
        if (!answer.ok) throw new Error(String(answer.status));
        return answer.text().then(function (html) {
          if (paused) return; // paused while it came: not shown, asked again at the reprise
          table.dataset.after = answer.headers.get("X-Suivant") || table.dataset.after;
          shown(html);
        });
      })
      .catch(function (error) {
        if (error.message === "signed out") {
          say("Votre session a pris fin : reconnectez-vous pour suivre le flux.");
          paused = true;
          pause.hidden = true;
          return;
        }
        say("Le flux ne répond pas ; nouvel essai dans un instant.");
      })
      .then(function () {
        asking = false;
        later();
      });
  }

  later();
})();
