"""The console: one pilot's web pages for its staff, in French, server-rendered. It is a separate process
that talks to its pilot's services over HTTP with the signed-in person's token, never to a database."""
