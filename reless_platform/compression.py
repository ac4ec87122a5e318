"""Gzip for the platform's own text answers (pages, CSV, JSON), decided against BREACH.

BREACH reads a secret out of compressed responses that also reflect attacker-chosen input. What
this platform compresses, and why that is safe:
- pages carry one secret, the CSRF token, which Django masks with a fresh random value in every
  response, so it never repeats for an attacker to guess byte by byte; Django's GZipMiddleware
  also pads every compressed answer with a random-length gzip header ("Heal The Breach");
- the admin is never compressed: it shows an API token once (in a message on the next page)
  beside a search box that reflects its input, the textbook BREACH layout; it is used by a few
  national administrators on a desk connection, so nothing is lost;
- static files are served by WhiteNoise, pre-compressed at collectstatic (not recompressed here).
"""

from django.conf import settings
from django.middleware.gzip import GZipMiddleware

COMPRESSED_TYPES = ("text/html", "text/csv", "text/plain", "application/json",
                    "application/ld+json", "application/vnd.oai.openapi",
                    "application/vnd.oai.openapi+json", "application/javascript",
                    "text/javascript", "image/svg+xml")


class CompressionMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip()
        if (content_type not in COMPRESSED_TYPES
                or request.path.startswith(settings.ADMIN_URL_PREFIX)
                or getattr(response, "never_compress", False)):
            return response
        return super().process_response(request, response)
