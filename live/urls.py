"""Stream URLs as people see them: named without their passwords, and, when one cannot be opened, why not.

An IP camera's address often holds its password, and the window shows the source's name to a room. When
FFmpeg cannot open a URL it says nothing of why; asking the server once ourselves tells a typo in the host
name from a refused connection, a wrong path (404), a missing or wrong password (401) and a camera's web page
given instead of its stream.
"""

from __future__ import annotations

import re
import socket
from urllib.parse import parse_qsl, urlencode, urlsplit

SECRET_FIELD = re.compile(r"pass|pwd|token|key|secret|auth|sig", re.IGNORECASE)  # query fields not to show
ASK_TIMEOUT_S = 3.0  # how long the server is given to answer our own question, after FFmpeg failed
DEFAULT_PORTS = {"http": 80, "https": 443, "rtsp": 554, "rtsps": 322, "rtmp": 1935}


def without_secrets(spec: str) -> str:
    """A URL as messages give it, its password and the values of query fields that look secret (`pwd=`, `token=`)
    replaced by ***; anything that is not a URL as it is."""
    if "://" not in spec:
        return spec
    try:
        parts = urlsplit(spec)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = f"{parts.username}:***@{netloc.rpartition('@')[2]}"
        fields = parse_qsl(parts.query, keep_blank_values=True)
        query = parts.query
        if any(SECRET_FIELD.search(name) for name, _ in fields):
            query = urlencode([(name, "***" if SECRET_FIELD.search(name) else value) for name, value in fields],
                              safe="*")
        return parts._replace(netloc=netloc, query=query).geturl()
    except ValueError:  # not a URL that can be taken apart (a bracket left open): whatever comes before an @ hidden
        scheme, rest = spec.split("://", 1)
        return f"{scheme}://***@{rest.rpartition('@')[2]}" if "@" in rest else spec


def why_not_opened(url: str) -> str:
    """The sentence for a stream URL that FFmpeg could not open at once (not one that timed out)."""
    parts, shown = urlsplit(url), without_secrets(url)
    host = parts.hostname
    if host:
        try:
            socket.getaddrinfo(host, None)
        except (socket.gaierror, UnicodeError):
            return (f"stream {shown}: the host name '{host}' could not be looked up (no network, or a typo in "
                    f"the address?)")
    answer = _connect(parts)
    if answer is None and parts.scheme in ("http", "https"):
        answer = _ask(parts)
    return f"stream {shown} could not be opened: " + (answer or "the server refused it or could not be reached (is "
                                                     "the stream running, and the address, port and path right?)")


def _connect(parts) -> str | None:
    """Why no connection can be made to the URL's host and port, in words, or None when one can (or when that
    cannot be tried)."""
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    try:
        socket.create_connection((parts.hostname, port), timeout=ASK_TIMEOUT_S).close()
    except ConnectionRefusedError:
        return (f"nothing listens on port {port} of {parts.hostname} (the connection was refused): is the stream "
                f"running, and the port right?")
    except TimeoutError:
        return (f"{parts.hostname} did not answer on port {port} within {ASK_TIMEOUT_S:.0f} s: is it on this "
                f"network, and the port right?")
    except OSError:  # no route to the host, and the like
        return None
    return None


def _ask(parts) -> str | None:
    """What a web server answers to one request for the URL, in words, or None when that says nothing more."""
    import urllib.error
    import urllib.request

    handlers = []
    if parts.username is not None:  # as FFmpeg sends them: the password in the URL, Basic or Digest
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        passwords.add_password(None, bare, parts.username, parts.password or "")
        handlers = [urllib.request.HTTPBasicAuthHandler(passwords), urllib.request.HTTPDigestAuthHandler(passwords)]
    else:
        bare = parts.geturl()
    try:
        with urllib.request.build_opener(*handlers).open(bare, timeout=ASK_TIMEOUT_S) as response:
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as exc:
        return _http_error(exc.code, exc.reason, parts.username is not None)
    except (OSError, ValueError):  # refused, reset, timed out, a certificate refused: nothing more to say
        return None
    if kind == "text/html":
        return ("the address is a web page (text/html), not a video stream or a picture: give the address of the "
                "camera's stream itself, which its web page or manual names (often /video, /mjpg/video.mjpg, "
                "/snapshot.cgi, or an rtsp:// address)")
    return f"the server answered with {kind}, which OpenCV cannot read as video or a picture"


def _http_error(code: int, reason: str, with_password: bool) -> str:
    if code == 401:
        return (f"the server asks for a user name and password ({code} {reason}): "
                + ("are they right?" if with_password else "give them in the address, http://user:password@host/..."))
    if code == 403:
        return f"the server refuses it ({code} {reason}): is the user allowed to see this stream?"
    if code == 404:
        return f"the server has nothing at this path ({code} {reason}): is the path right?"
    return f"the server answered {code} {reason}"
