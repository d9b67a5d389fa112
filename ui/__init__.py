"""The web app: ``python -m ui`` serves Ask (chat), Compare and Browse over the interview.

:mod:`ui.handlers` holds the behaviour as plain functions, :mod:`ui.render` the HTML,
:mod:`ui.page` what the page says about the interview served (header, examples, speaker), and
:mod:`ui.app` wires them to Gradio widgets; Gradio is imported only by :mod:`ui.app`.
"""
