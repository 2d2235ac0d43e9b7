// Exchanges a token, or the one-time code of a link 'pipeline up' printed (#code=…), for the session cookie, then
// opens the dashboard at the page the user was sent here from (#/trainings/…), or at the one the link names (&then=…).
"use strict";

const form = document.getElementById("login");
const message = document.getElementById("login-message");
const fragment = location.hash.startsWith("#code=") ? new URLSearchParams(location.hash.slice(1)) : null;
const then = fragment ? fragment.get("then") || "" : location.hash;

async function logIn(credential) {
  const response = await fetch("/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(credential) });
  if (response.ok) {
    location.replace(`/${then.startsWith("#") ? then : then ? "#" + then : ""}`);
    return;
  }
  let problem = "";
  try { problem = (await response.json()).detail || ""; } catch { }
  message.textContent = `${response.status}: ${problem}`;
}

form.addEventListener("submit", event => {
  event.preventDefault();
  logIn({ token: document.getElementById("token").value });
});

if (fragment) {
  // The code is good once: out of the address bar and the history before it is spent.
  history.replaceState(null, "", "/login");
  logIn({ code: fragment.get("code") || "" });
}
