"""The browser app (``vasim serve``): a front end over the library, like ``cli/``.

Handlers parse a request, call one library function and render the answer (Jinja2 pages, JSON,
a WebSocket for the voice call); the library never imports this package. Everything the pages
need (scripts, styles, the audio worklet) is shipped in ``static/``: nothing is fetched from any
other host.
"""
