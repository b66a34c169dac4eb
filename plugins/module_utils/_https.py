# Copyright: contributors to postmaster.mail
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS as the DNS doctor fetches (MTA-STS policies, client settings): certificates verified, no
redirect followed, connected to the addresses the doctor's resolvers give. Used by the
dns_doctor_info module on the controller and by the daily report on the host. Private."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request

from ansible_collections.postmaster.mail.plugins.module_utils import _dns

HTTPS_TIMEOUT = 10
# The most read of a body: a policy or a client file is a few hundred bytes.
BODY_LIMIT = 64 * 1024


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect (RFC 8461 3.3: senders must not): the 3xx comes back as an HTTPError."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class _Unresolved(OSError):
    """The doctor's resolvers gave no address for the name."""


class _ResolvedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to the addresses the doctor's resolvers give for the host (the ones the
    world sees, not the controller's own resolver), the certificate checked against the host name."""

    resolve = None

    def connect(self):
        addresses = self.resolve(self.host)
        if not addresses:
            raise _Unresolved("%s has no A/AAAA record at the resolvers asked" % self.host)
        error = None
        for address in addresses:
            try:
                sock = socket.create_connection((address, self.port), self.timeout)
            except OSError as exc:
                error = exc
                continue
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
            return
        raise error


class _ResolvedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context, resolve):
        super().__init__(context=context)
        self._resolve = resolve
        self._https_context = context

    def https_open(self, req):
        def connection(host, **kwargs):
            made = _ResolvedHTTPSConnection(host, **kwargs)
            made.resolve = self._resolve
            return made
        return self.do_open(connection, req, context=self._https_context)


def _reason(error, timeout):
    """Why a connection failed, in words."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return "TLS certificate verification failed: %s" % (error.verify_message or error.reason or error)
    if isinstance(error, ssl.SSLError):
        return "TLS handshake failed: %s" % (error.reason or error)
    if isinstance(error, socket.timeout):
        return "no answer within %g s" % timeout
    if isinstance(error, _Unresolved):
        return "could not resolve the name: %s" % error
    if isinstance(error, socket.gaierror):
        return "could not resolve the name: %s" % (error.strerror or error)
    if isinstance(error, ConnectionRefusedError):
        return "could not connect: connection refused"
    if isinstance(error, OSError):
        return "could not connect: %s" % (error.strerror or error)
    if isinstance(error, http.client.HTTPException):
        return "the connection broke: %s" % (str(error) or error.__class__.__name__)
    return str(error) or error.__class__.__name__


def _read(response):
    return response.read(BODY_LIMIT).decode("utf-8", "replace")


def make_fetch(cafile=None, timeout=HTTPS_TIMEOUT, resolve=None, agent="postmaster.mail dns_doctor_info"):
    """fetch(url, method="GET", body=None) -> {'status': 'ok' or 'error', 'code', 'body', 'msg'}, as
    _doctor wants it: certificates verified against cafile (None: the system's store) and the host
    name, no redirect followed (a 3xx is the answer), at most BODY_LIMIT bytes read. resolve(host)
    gives the addresses to connect to (None: the system's resolver)."""
    context = ssl.create_default_context(cafile=cafile or None)
    https = urllib.request.HTTPSHandler(context=context) if resolve is None else _ResolvedHTTPSHandler(context, resolve)
    opener = urllib.request.build_opener(https, _NoRedirect())

    def fetch(url, method="GET", body=None):
        headers = {"User-Agent": agent}
        if body is not None:
            headers["Content-Type"] = "text/xml; charset=utf-8"
        request = urllib.request.Request(url, data=None if body is None else body.encode("utf-8"),
                                         headers=headers, method=method)
        try:
            with opener.open(request, timeout=timeout) as response:
                return {"status": "ok", "code": response.status, "body": _read(response), "msg": ""}
        except urllib.error.HTTPError as exc:
            code = exc.code
            try:
                text = _read(exc)
            except Exception:  # pylint: disable=broad-except
                text = ""
            finally:
                exc.close()
            if 300 <= code < 400:
                msg = "a redirect to %s, not followed" % (exc.headers.get("Location") or "nowhere")
            else:
                msg = str(exc.reason or "")
            return {"status": "ok", "code": code, "body": text, "msg": msg}
        except urllib.error.URLError as exc:
            reason = exc.reason if isinstance(exc.reason, BaseException) else str(exc.reason)
            return {"status": "error", "code": None, "body": "", "msg": _reason(reason, timeout)}
        except (OSError, http.client.HTTPException) as exc:
            return {"status": "error", "code": None, "body": "", "msg": _reason(exc, timeout)}

    return fetch


def addresses(lookup, host):
    """The addresses of host at the doctor's resolvers (an address literal is itself)."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        return _dns.addresses_of(lookup, host.lower().rstrip("."))[0]
