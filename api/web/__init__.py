"""The web UI at ``/``: server-rendered pages (Jinja2, a little htmx) over the same services as the API.

``session.py`` signs a browser in with an API key (an HttpOnly, SameSite=Strict cookie) and checks the
origin of every form post; ``pages.py`` renders the layout, the role's navigation and errors;
``router.py`` holds sign-in, sign-out and the home page; one module per section (``orders.py``).
"""
