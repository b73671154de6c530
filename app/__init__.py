"""Bokji Atlas web app (Dash pages on Flask). Build it with :func:`app.main.create_app`."""
