"""HTTP helpers of the app tests: log in through the form, POST Dash callbacks."""

from __future__ import annotations

ORIGIN = "http://localhost"


def login(client, username: str, password: str):
    """Log a Flask test client in through the real form (CSRF token from the page)."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/"},
                       headers={"Origin": ORIGIN})


def dash_call(client, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
              state: list[tuple[str, str, object]] = (), *, changed: list[str] | None = None,
              headers: dict[str, str] | None = None):
    """POST one Dash callback request, as the browser's renderer does."""
    def spec(item):
        if isinstance(item, list):  # a pattern-matching (ALL) input: concrete items as given
            return item
        out = {"id": item[0], "property": item[1]}
        if len(item) > 2:
            out["value"] = item[2]
        return out

    if len(outputs) == 1:
        output = f"{outputs[0][0]}.{outputs[0][1]}"
        outs = spec(outputs[0])
    else:
        output = ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."
        outs = [spec(o) for o in outputs]
    payload = {"output": output, "outputs": outs, "inputs": [spec(i) for i in inputs],
               "state": [spec(s) for s in state],
               "changedPropIds": changed or [f"{inputs[0][0]}.{inputs[0][1]}"]}
    return client.post("/_dash-update-component", json=payload,
                       headers={"Origin": ORIGIN} if headers is None else headers)




def open_session(store, username: str) -> str:
    """A server-side session of ``username`` without the login form; its token for ``sid``."""
    import secrets

    from services.login import session_hash

    user = store.users.by_username(username)
    token = secrets.token_urlsafe(32)
    store.logins.open_session(session_hash=session_hash(token), user_id=user.user_id,
                              address="test")
    return token
