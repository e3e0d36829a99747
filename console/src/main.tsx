import { StrictMode, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { ApiError, SIGNED_OUT, describe, query, savedToken, saveToken } from "./api";
import { Campaigns } from "./pages/Campaigns";
import { Catalogue } from "./pages/Catalogue";
import { Dashboard } from "./pages/Dashboard";
import { Reviews } from "./pages/Reviews";
import { Users } from "./pages/Users";
import "./styles.css";

const PAGES = [
  { path: "dashboard", title: "Dashboard", view: Dashboard },
  { path: "reviews", title: "Reviews", view: Reviews },
  { path: "campaigns", title: "Campaigns", view: Campaigns },
  { path: "catalogue", title: "Catalogue", view: Catalogue },
  { path: "users", title: "Users", view: Users },
] as const;

function currentPath(): string {
  return location.hash.replace(/^#\/?/, "").split("?")[0] || "dashboard";
}

function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function signIn(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const given = token.trim().replace(/^Bearer\s+/i, "");
    try {
      await query("{ riskRules { code } }", {}, given);
      saveToken(given);
      onSignedIn();
    } catch (error) {
      setProblem(
        error instanceof ApiError && error.code === "FORBIDDEN"
          ? "This token is not an admin's: the console needs the admin role."
          : describe(error),
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <h1>pointsmall ops</h1>
      <form onSubmit={signIn}>
        <label htmlFor="token">Admin token</label>
        <p className="hint" id="token-hint">
          Paste an admin bearer token (`make run` prints one; `pointsmall token ops --role
          admin` makes one). It stays in this browser tab only.
        </p>
        <textarea
          id="token"
          aria-describedby="token-hint"
          rows={4}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          autoComplete="off"
          spellCheck={false}
          required
        />
        {problem && (
          <p role="alert" className="error">
            {problem}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState(savedToken() !== null);
  const [path, setPath] = useState(currentPath());

  useEffect(() => {
    const follow = () => setPath(currentPath());
    const signOut = () => setSignedIn(false);
    window.addEventListener("hashchange", follow);
    window.addEventListener(SIGNED_OUT, signOut);
    return () => {
      window.removeEventListener("hashchange", follow);
      window.removeEventListener(SIGNED_OUT, signOut);
    };
  }, []);

  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  const page = PAGES.find((candidate) => candidate.path === path) ?? PAGES[0];
  const View = page.view;
  document.title = `${page.title} · pointsmall ops`;
  return (
    <>
      <header className="top">
        <span className="brand">pointsmall ops</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map((candidate) => (
              <li key={candidate.path}>
                <a
                  href={`#/${candidate.path}`}
                  aria-current={candidate === page ? "page" : undefined}
                >
                  {candidate.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <button
          className="quiet"
          onClick={() => {
            saveToken(null);
            setSignedIn(false);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="content">
        <h1>{page.title}</h1>
        <View />
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
