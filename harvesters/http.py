"""HTTP for harvesters: retries with back-off, time-outs, bearer tokens, and French errors.

Every remote source goes through `HttpClient`, so tests replay recorded responses at this one
seam (the `responses` library) while the real client code is what ships.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import ipaddress
import os
import re
import socket
import tempfile
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.retry import Retry

from catalog import json_text
from catalog.clock import utcnow
from catalog.config import env_number
from catalog.errors import UnusableInput
from catalog.nesting import refuse_too_deep
from catalog.tabular import shown_as
from harvesters import http_deadline

USER_AGENT = "Maillage/0.1 (commun des solutions locales d'insertion; moissonneur)"


# What a request keeps when a redirect takes it to another site: nothing that could identify
# the client. requests itself drops only `Authorization`; a token sent under another name
# (Aides-territoires' `X-AUTH-TOKEN`, an `X-API-Key`) would go to the other site too.
# (`Cookie` is rebuilt from the session's jar for the new address; `Proxy-Authorization` is the
# operator's proxy's.)
_KEPT_ACROSS_SITES = frozenset({"user-agent", "accept", "accept-encoding", "accept-language", "connection",
                                "content-type", "content-length", "transfer-encoding", "cookie",
                                "proxy-authorization"})


class _GuardedSession(requests.Session):
    """Asks, and follows redirects, only where `refuse_private_address` lets it; a redirect to
    another site (or from https to http) takes no credential along."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        refuse_private_address(url.decode() if isinstance(url, bytes) else url)
        return super().request(method, url, *args, **kwargs)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        target = super().get_redirect_target(resp)
        if target:
            refuse_private_address(requests.compat.urljoin(resp.url, target))
        return target

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        if self.should_strip_auth(response.request.url, prepared_request.url):  # type: ignore[arg-type]
            for name in [n for n in prepared_request.headers if n.lower() not in _KEPT_ACROSS_SITES]:
                del prepared_request.headers[name]
        super().rebuild_auth(prepared_request, response)


def refuse_private_address(url: str) -> None:
    """A source's address is chosen by whoever registers it, a partner's DCAT catalog included:
    it must not make Maillage read its own machine or network (a database port, a cloud
    metadata service at 169.254.169.254) and copy the answer into a harvest report. Refused here,
    before any request: `localhost` and IP addresses that are not public, however written (`127.1`,
    `2130706433`). A name that resolves to such an address is refused when the connection is made
    (`_PublicPeerOnly`). An operator who harvests an intranet sets MAILLAGE_HTTP_ALLOW_PRIVATE=1."""
    if _private_allowed():
        return
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    address = _ip_literal(host)
    if host == "localhost" or host.endswith(".localhost") or (address is not None and not _is_public(address)):
        raise UnusableInput(f"Adresse refusée : {url} désigne {_PRIVATE}")


_PRIVATE = "une machine locale ou un réseau privé (MAILLAGE_HTTP_ALLOW_PRIVATE=1 pour moissonner un intranet)."


def _private_allowed() -> bool:
    return os.environ.get("MAILLAGE_HTTP_ALLOW_PRIVATE") == "1"


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:  # ::ffff:127.0.0.1 is 127.0.0.1
        address = address.ipv4_mapped
    return address.is_global


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:  # the shorthand forms the C resolver also accepts: 127.1, 0x7f.0.0.1, 2130706433
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def refuse_private_peer(sock: socket.socket, host: str) -> None:
    """A name (`intranet.partenaire.fr`, or a public name whose DNS answer changes between two
    looks) may lead to a private address: the address checked is the one actually connected to,
    so no second resolution can slip past."""
    if _private_allowed():
        return
    peer = sock.getpeername()[0]
    if not _is_public(ipaddress.ip_address(peer)):
        sock.close()
        raise UnusableInput(f"Adresse refusée : {host} mène à {peer}, {_PRIVATE}")


class _PublicPeerOnly:
    """For urllib3 connections. Through a proxy, the peer is the proxy, which the operator chose
    and which applies its own rules: only direct connections are checked."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        if self.proxy is None:  # type: ignore[attr-defined]
            refuse_private_peer(sock, self.host)  # type: ignore[attr-defined]
        http_deadline.watch(sock)
        return sock


class _PublicHTTPConnection(_PublicPeerOnly, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerOnly, HTTPSConnection):
    pass


class _DeadlinePool:
    """For urllib3 pools: a connection taken from the pool serves the request under way, under
    its deadline."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        http_deadline.watch(conn.sock)  # None for a connection not yet made: `_new_conn` will
        return conn


class _PublicHTTPPool(_DeadlinePool, HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(_DeadlinePool, HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


RETRY_AFTER_MAX = 120.0


class _BoundedRetry(Retry):
    """A server's Retry-After is followed up to two minutes: urllib3 would sleep up to 6 hours,
    three times over, in the middle of a scheduled harvest. Asked to wait longer, the harvest
    retries after two minutes and, still refused, fails saying the server's status."""

    def parse_retry_after(self, retry_after: str) -> float:
        try:
            return min(super().parse_retry_after(retry_after), RETRY_AFTER_MAX)
        except urllib3.exceptions.InvalidHeader:
            # « 1.5 », « -1 », « soon »: the server asked for a wait it could not write; the usual
            # backoff (0 here) is still a retry, where the exception ended the run on its first 503.
            return 0.0

    def is_exhausted(self) -> bool:
        return http_deadline.current_expired() or super().is_exhausted()  # past the deadline, no retry


class _PublicAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


# The token a source names (--token-env) for a format with no scheme of its own (a LHEO feed,
# a CSV behind a login): set by the engine for the run (`sending_source_token`), sent as a bearer
# by every client the harvester makes, but only to the site of the source's own address. A data
# package may name its tables anywhere, a partner's document is not the operator's word: the
# token the operator gave for partenaire.fr must not reach the other site a package names.
# (Dropped on a redirect to another site too: `_GuardedSession`.)
_SOURCE_TOKEN: ContextVar[tuple[str, tuple[str, int] | None] | None] = ContextVar("maillage_source_token",
                                                                                default=None)


@contextmanager
def sending_source_token(token: str | None, location: str) -> Iterator[None]:
    reset = _SOURCE_TOKEN.set((token, site_of(location)) if token else None)
    try:
        yield
    finally:
        _SOURCE_TOKEN.reset(reset)


def site_of(url: str) -> tuple[str, int] | None:
    """Host and port of an http(s) address (the port its scheme implies when none is written),
    None for anything else (a local file): what « the same site » means for a token."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.hostname.lower().rstrip("."), port or (443 if scheme == "https" else 80)


class HttpClient:
    def __init__(self, *, token: str | None = None, timeout: float = 60, retries: int = 3,
                 headers: dict[str, str] | None = None) -> None:
        # A token given here is the caller's to send (each format checks where its pages lead);
        # the source's, from the run, goes to its own site only (`_request`).
        self._source_token = None if token else _SOURCE_TOKEN.get()
        self.timeout = timeout
        self.session = _GuardedSession()
        # After the last retry, hand back the last response so its HTTP status can be reported.
        retry = _BoundedRetry(total=retries, backoff_factor=env_number("MAILLAGE_HTTP_BACKOFF", 1, minimum=0, maximum=60),
                              status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",),
                              respect_retry_after_header=True, raise_on_status=False)
        self.session.mount("https://", _PublicAdapter(max_retries=retry))
        self.session.mount("http://", _PublicAdapter(max_retries=retry))
        self.session.headers["User-Agent"] = USER_AGENT
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers.update(headers or {})

    def get(self, url: str, params: dict[str, Any] | None = None, *, stream: bool = False) -> requests.Response:
        """The response, its body read (at most MAILLAGE_HTTP_MAX_MB) unless `stream`: then the
        caller reads it with `read_body`, which keeps the request's deadline."""
        return self._request("GET", url, params=params, stream=stream)

    def post(self, url: str, *, headers: dict[str, str] | None = None) -> requests.Response:
        """The response whatever its status (the caller says what a refusal means), body read."""
        return self._request("POST", url, headers=headers, check_status=False)

    def _request(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, stream: bool = False,
                 check_status: bool = True) -> requests.Response:
        withheld = False
        if self._source_token is not None:
            token, site = self._source_token
            if site is not None and site_of(url) == site:
                headers = {"Authorization": f"Bearer {token}", **(headers or {})}
            else:
                withheld = True
        _refuse_unsendable({**self.session.headers, **(headers or {})})
        if urlsplit(url).scheme.lower() == "http" and self._sends_credentials(headers) and not _private_allowed():
            # Anyone on the way would read it: a source's token goes over https only (an intranet
            # harvested with MAILLAGE_HTTP_ALLOW_PRIVATE=1 excepted).
            raise UnusableInput(f"Jeton d'accès non envoyé : {url} est en clair (http). Enregistrez l'adresse en "
                                "https://, ou retirez le jeton de la source (--token-env \"\").")
        # Read before sending: a setting written wrong must not leave a response open behind it.
        limit = None if stream else _env_limit(url, "MAILLAGE_HTTP_MAX_MB", 512)
        deadline = http_deadline.start()
        try:
            with http_deadline.sending(deadline):
                response = self.session.request(method, url, params=params, headers=headers,
                                                 timeout=self.timeout, stream=True)
        except BaseException as exc:
            deadline.finish()
            if not isinstance(exc, requests.RequestException):  # a refused address, an interruption
                raise
            if deadline.expired:
                raise _too_slow(url, deadline) from exc
            raise UnusableInput(f"Source injoignable : {url} ({type(exc).__name__}).") from exc
        response.deadline = deadline  # type: ignore[attr-defined] - for read_body
        if check_status and response.status_code >= 400:
            response.close()
            deadline.finish()
            if response.status_code in (401, 403):
                raise UnusableInput(f"Accès refusé par {url} (HTTP {response.status_code}) : "
                                    + (_OTHER_SITE if withheld else _CHECK_TOKEN if self._sends_credentials(headers)
                                       else _NAME_TOKEN))
            raise UnusableInput(f"{url} a répondu HTTP {response.status_code}{_retry_after(response)}.")
        if limit is not None:  # what `.content` returns, read once under the cap
            response._content = b"".join(read_body(response, url, *limit))
        return response

    def _sends_credentials(self, headers: dict[str, str] | None) -> bool:
        return any(name.lower() not in _KEPT_ACROSS_SITES for name in {**self.session.headers, **(headers or {})})

    def get_json(self, url: str, params: dict[str, Any] | None = None) -> Any:
        return response_json(self.get(url, params))

    def get_stream(self, url: str, params: dict[str, Any] | None = None) -> io.BytesIO:
        """The body of a response as a seekable stream (for `catalog.tabular.iter_json_stream`)."""
        return io.BytesIO(self.get(url, params).content)

    def download(self, url: str, suffix: str = "", *, name: str | None = None) -> Path:
        """Stream a (possibly large) file to a temporary path; the caller deletes it. With `name`,
        the file has that name, in a temporary folder of its own (the caller deletes both): what
        a message says of the file then reads as its producer named it, not « tmpuaxef3l9.csv »."""
        limit = _env_limit(url, "MAILLAGE_HTTP_MAX_DOWNLOAD_MB", 10240)  # before sending: see _request
        response = self.get(url, stream=True)
        folder = Path(tempfile.mkdtemp()) if name else None
        path = folder / name if folder is not None and name else None
        try:
            with (open(path, "wb") if path is not None  # the file outlives the block: the caller deletes it
                  else tempfile.NamedTemporaryFile(delete=False, suffix=suffix)) as handle:
                path = Path(handle.name)
                for chunk in read_body(response, url, *limit):
                    handle.write(chunk)
            # The copy is dated as the server dates the file (as `curl -R` does): the readers
            # that date records by their file's date find the producer's, not the download's.
            if (modified := last_modified(response)) is not None:
                stamp = datetime.combine(modified, time(12), UTC).timestamp()
                os.utime(path, (stamp, stamp))
        except BaseException:
            if path is not None:
                path.unlink(missing_ok=True)
            if folder is not None:
                folder.rmdir()
            raise
        return path


_CHECK_TOKEN = "vérifiez le jeton d'accès de la source."
_OTHER_SITE = ("le jeton de la source n'est envoyé qu'au site de son adresse, et cette adresse est sur un autre "
               "site. Publiez le fichier sur le site de la source, ou enregistrez-le comme une source à part, "
               "avec son propre jeton (maillage sources add … --token-env NOM).")
# Sent without a token: a format's default variable goes only to its official hosts.
_NAME_TOKEN = ("la source demande un jeton d'accès et aucun n'a été envoyé : renseignez la variable du format "
               "(elle ne sert que pour son site officiel) ou, pour tout autre site, nommez la variable de la "
               "source avec --token-env NOM (maillage sources add, maillage harvest).")


def unsendable_character(value: str) -> tuple[int, str] | None:
    """Where (1-based) and what makes `value` impossible to send as an HTTP header value (a
    typographic apostrophe or a non-breaking space pasted with a token, a line break), said
    without the value; None if nothing does. http.client would otherwise fail with a bare
    UnicodeEncodeError."""
    for position, char in enumerate(value, start=1):
        if ord(char) > 0xFF or char in "\r\n\0" or (position == 1 and char.isspace()):
            return position, f"U+{ord(char):04X} {unicodedata.name(char, 'caractère de contrôle')}"
    return None


def _refuse_unsendable(headers: dict[str, Any]) -> None:
    for name, value in headers.items():
        found = unsendable_character(value) if isinstance(value, str) else None
        if found:
            raise UnusableInput(f"Jeton d'accès inutilisable (en-tête {name}) : il contient un caractère qu'un "
                                f"en-tête HTTP ne peut pas porter ({found[1]}). Recopiez le jeton dans sa "
                                "variable d'environnement, sans apostrophe typographique, espace insécable ni "
                                "retour à la ligne.")


class ResponseTooBig(UnusableInput):
    """A body past its cap: for some callers an answer (too big to be a descriptor: data)."""


def last_modified(response: requests.Response) -> date | None:
    """The day of the response's `Last-Modified`, never after today (a server clock ahead, or a
    date from nowhere, would make every record's date_maj invalid); None when absent or
    unreadable (« 31 Dec 9999 23:59:59 -0100 » overflows)."""
    header = response.headers.get("Last-Modified")
    if not header:
        return None
    try:
        day = parsedate_to_datetime(header).astimezone(UTC).date()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(day, utcnow().date())


def response_json(response: requests.Response) -> Any:
    """The JSON of a response read whole (`HttpClient.get`). JSON is UTF-8 (RFC 8259), yet servers
    put a byte order mark first, or send Latin-1 and say so in their Content-Type: both are read,
    as the file readers read them (catalog.tabular), rather than called « mal formé »."""
    content: bytes | str = response.content.removeprefix(codecs.BOM_UTF8)
    declared = _declared_charset(response)
    if declared is not None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            try:
                content = content.decode(declared)
            except (LookupError, UnicodeDecodeError):
                pass  # left to orjson, which says where it stops
    try:
        body = json_text.loads(content)
    except orjson.JSONDecodeError as exc:
        raise UnusableInput(f"{response.url} : réponse JSON tronquée ou mal formée ({exc}).") from exc
    return refuse_too_deep(body, str(response.url))


def _declared_charset(response: requests.Response) -> str | None:
    """The charset the server wrote in its Content-Type, when it is not UTF-8 (requests' guess of
    ISO-8859-1 for any text/* is no declaration)."""
    found = re.search(r";\s*charset\s*=\s*[\"']?([\w.:-]+)", response.headers.get("Content-Type", ""), re.IGNORECASE)
    charset = found.group(1).lower() if found else None
    return None if charset in (None, "utf-8", "utf8") else charset


def read_body(response: requests.Response, url: str, limit: int, too_big: str) -> Iterator[bytes]:
    """The body of a response from `HttpClient` (stream=True) by chunks, refused past `limit`
    bytes (`too_big` says why) or past the request's deadline: a server that never stops sending,
    or sends a byte a minute (broken, or hostile), must not fill the memory or disk of the
    harvesting machine, nor hold its harvest for days. A compressed body must reach the end of
    its compressed stream: cut short, it is refused, never taken for the whole."""
    deadline: http_deadline.Deadline = response.deadline  # type: ignore[attr-defined] - set by HttpClient
    declared = response.headers.get("Content-Length", "")
    try:
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooBig(too_big)
        read = 0
        try:
            for chunk in _decoded_chunks(response):
                read += len(chunk)
                if read > limit:
                    response.close()
                    raise ResponseTooBig(too_big)
                yield chunk
        except (requests.RequestException, urllib3.exceptions.HTTPError, _Truncated) as exc:
            if deadline.expired:
                raise _too_slow(url, deadline) from exc
            detail = "réponse compressée tronquée" if isinstance(exc, _Truncated) else type(exc).__name__
            raise UnusableInput(f"Téléchargement interrompu : {url} ({detail}).") from exc
        except zlib.error as exc:
            raise UnusableInput(f"{url} : réponse compressée illisible ({exc}).") from exc
        if deadline.expired:  # a shut-down socket reads as the end of a body without a declared length
            raise _too_slow(url, deadline)
    finally:
        deadline.finish()


_CHUNK = 1 << 20


class _Truncated(Exception):
    """A compressed body that ended before its compressed stream did."""


def _decoded_chunks(response: requests.Response) -> Iterator[bytes]:
    """The body, decoded. gzip and deflate are decoded here, not by urllib3: urllib3 takes a
    compressed stream that stops short (a connection cut on a body sent until the connection
    closes, with no length to check it against) for a whole one, where zlib tells whether the
    stream reached its end; so are stacked ones (« gzip, gzip »: compressed twice, undone last
    first), each layer checked. Another encoding (none, br) is left to urllib3."""
    layers = [e.strip() for e in response.headers.get("Content-Encoding", "").lower().split(",")]
    layers = [layer for layer in layers if layer and layer != "identity"]
    if not layers or any(layer not in ("gzip", "x-gzip", "deflate") for layer in layers):
        yield from response.iter_content(_CHUNK)
        return
    inflaters = [_Inflater(gzip=layer != "deflate") for layer in reversed(layers)]
    for data in response.raw.stream(_CHUNK, decode_content=False):
        yield from _inflated(data, inflaters)
    if not all(inflater.complete for inflater in inflaters):
        raise _Truncated


def _inflated(data: bytes, inflaters: list[_Inflater]) -> Iterator[bytes]:
    """`data` through every layer, a chunk at a time: an inner layer's bomb grows chunk by chunk too."""
    if not inflaters:
        yield data
        return
    for out in inflaters[0].feed(data):
        yield from _inflated(out, inflaters[1:])


class _Inflater:
    """A gzip (possibly of several members, RFC 1952) or deflate stream, decoded at most a
    chunk at a time (a small body may inflate to gigabytes: the size cap must see it grow)."""

    def __init__(self, *, gzip: bool) -> None:
        self.gzip = gzip
        self.fed = False
        self.ignoring = False  # past the end of the last member, bytes that are not one (as urllib3 does)
        self._members = 0
        self._zlib_wrapped = True  # deflate: "zlib" format as the RFC says, else raw deflate as IIS sends
        self._obj = self._new()

    def _new(self) -> Any:
        if self.gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        return zlib.decompressobj(zlib.MAX_WBITS if self._zlib_wrapped else -zlib.MAX_WBITS)

    @property
    def complete(self) -> bool:
        return not self.fed or self.ignoring or self._obj.eof

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self.ignoring:
            if self._obj.eof:
                if not self.gzip:
                    return  # what follows a deflate stream is not part of it
                self._members += 1
                self._obj = self._new()
            try:
                out = self._obj.decompress(data, _CHUNK)
            except zlib.error:
                if not self.gzip and not self.fed and self._zlib_wrapped:
                    self._zlib_wrapped = False
                    self._obj = self._new()
                    continue
                if self._members:
                    self.ignoring = True
                    return
                raise
            self.fed = True
            if out:
                yield out
            data = self._obj.unused_data if self._obj.eof else self._obj.unconsumed_tail


def _env_limit(url: str, variable: str, default_mb: int) -> tuple[int, str]:
    limit_mb = int(env_number(variable, default_mb, minimum=1))
    return limit_mb << 20, f"{url} : réponse de plus de {limit_mb} Mo, refusée (limite réglable : {variable})."


def _too_slow(url: str, deadline: http_deadline.Deadline) -> UnusableInput:
    return UnusableInput(f"{url} : réponse toujours incomplète au bout de {deadline.seconds:g} s, abandonnée "
                         "(limite réglable : MAILLAGE_HTTP_MAX_SECONDS).")


def _retry_after(response: requests.Response) -> str:
    asked = response.headers.get("Retry-After", "").strip()
    return f" (le serveur demande de réessayer plus tard : Retry-After {asked[:40]})" if asked else ""


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


# What a URL may not hold unencoded (RFC 3986), besides blanks and control characters: the hygiene
# pass encodes them in a record's links (text_hygiene.py); a source's address with one is refused.
# rdflib and requests both let them through, the one with a logged warning, the other encoding
# them as it guesses.
URL_UNSAFE_CHARS = '"<>`{}|\\^'
_NOT_IN_URL = re.compile(f"[\\s\\x00-\\x1f\\x7f{re.escape(URL_UNSAFE_CHARS)}]")


def url_problem(url: str) -> str | None:
    """Why `url`, an http(s) address, is not a well-formed one (in French), or None."""
    if found := _NOT_IN_URL.search(url):
        char = found.group()
        if char == " ":
            return "elle contient une espace (à écrire %20)"
        if char.isprintable():
            return f"elle contient « {char} » (à écrire %{ord(char):02X})"
        return f"elle contient un caractère invisible (U+{ord(char):04X})"
    try:
        parts = urlsplit(url)
    except ValueError:  # « https://[::1 »: a bracketed (IPv6) host never closed
        return "son nom de serveur entre crochets n'est pas fermé"
    try:
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        return "son numéro de port est invalide"
    if not parts.hostname:
        return "elle ne nomme aucun serveur"
    if parts.username is not None or parts.password is not None:
        # requests would send it as Basic authentication, in clear over http, and every message
        # naming the address would show the password: a source's secret goes by --token-env.
        return "elle contient un identifiant ou un mot de passe (à donner par --token-env, jamais dans l'adresse)"
    return None


@contextmanager
def local_copy(location: str, *, suffix: str | None = None, client: HttpClient | None = None) -> Iterator[Path]:
    """The file at `location`: the path itself when local, else a downloaded temporary copy,
    removed when the block ends (however it ends: a failed harvest leaves no file behind). The
    copy bears the URL's file name, and the readers' messages (`catalog.tabular`) name the URL."""
    if not is_url(location):
        yield Path(location)
        return
    if suffix is None:
        suffix = Path(location.split("?")[0]).suffix
    path = (client or HttpClient()).download(location, suffix=suffix, name=download_name(location, suffix))
    try:
        with shown_as(path, location):
            yield path
    finally:
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()


def download_name(url: str, suffix: str = "") -> str:
    """A safe file name for what `url` gives: its last path segment (« services.csv »), ending
    in `suffix`, which tells the readers the format."""
    segment = unquote(PurePosixPath(urlsplit(url).path).name)
    name = re.sub(r"[^\w.-]+", "_", segment, flags=re.ASCII).strip("._")[:100] or "telechargement"
    if suffix and not name.lower().endswith(suffix.lower()):
        name += suffix
    return name
