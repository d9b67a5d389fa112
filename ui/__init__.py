"""The web app: ``python -m ui`` serves Ask (chat), Compare and Browse over the interview.

:mod:`ui.handlers` holds the behaviour as plain functions, :mod:`ui.render` the HTML, and
:mod:`ui.app` wires them to Gradio widgets; Gradio is imported only by :mod:`ui.app`.
"""
