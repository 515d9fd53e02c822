// The strategy's figures and charts, live: every 5 s, asks whether they changed since those shown (their
// fingerprint); when they did, puts the new ones in place, keeps the focus where it was and says so
// politely. A button suspends it. Without script, reloading the page shows the latest figures.
(function () {
  var live = document.getElementById("strategie-direct");
  if (!live) return;
  var status = document.getElementById("strategie-etat");
  var pause = document.getElementById("strategie-pause");
  var paused = false;
  var timer = null;
  pause.hidden = false;
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Reprendre la mise à jour" : "Suspendre la mise à jour";
    say(paused ? "Mise à jour suspendue." : "Mise à jour reprise.");
  });
  function say(text) {
    if (status.textContent !== text) status.textContent = text;  // the same words are not said again
  }
  function now() {
    return new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function show(html) {
    var focused = document.activeElement && live.contains(document.activeElement) ? document.activeElement.id : "";
    live.innerHTML = html;
    var again = focused && document.getElementById(focused);
    if (again) again.focus({ preventScroll: true });
    live.classList.remove("updated");
    void live.offsetWidth;  // restarts the highlight (none when the person asks for reduced motion)
    live.classList.add("updated");
    say("Chiffres et graphiques mis à jour à " + now() + ".");
  }
  function poll() {
    if (paused || document.hidden) return;
    var url = "/strategie/direct?annee=" + encodeURIComponent(live.dataset.annee) +
      "&empreinte=" + encodeURIComponent(live.dataset.empreinte);
    fetch(url, { credentials: "same-origin", redirect: "manual" })
      .then(function (answer) {
        if (answer.type === "opaqueredirect") {  // signed out: off to the sign-in page
          clearInterval(timer);
          say("Votre session a pris fin : rechargez la page pour vous connecter de nouveau.");
          return null;
        }
        var fingerprint = answer.headers.get("X-Empreinte");
        if (!answer.ok || !fingerprint) throw new Error(String(answer.status));
        if (answer.status === 204) return null;
        live.dataset.empreinte = fingerprint;
        return answer.text();
      })
      .then(function (html) { if (html !== null) show(html); })
      .catch(function () { say("La mise à jour ne répond pas ; nouvel essai dans un instant."); });
  }
  timer = setInterval(poll, 5000);
})();
