"""The X12 EDI engine: read, validate, write and acknowledge supply-chain transaction sets.

Why our own: the maintained Python X12 libraries are HIPAA-only, GPL, read-only,
or several times slower than what a distributor's volumes need, and none maps
to a canonical business model. This package reads whatever real trading
partners send (any delimiters, mailbags, BOMs, EBCDIC, sloppy ISA padding) in
bounded memory, reports every problem with its location, writes documents
partners accept, and generates 997/999 acknowledgements.

Layers, bottom up: ``decode`` (bytes to text), ``delimiters`` (from the ISA),
``tokenizer`` (text to segments), ``envelope`` (segments to interchanges,
groups and transaction sets, with envelope checks), ``writer`` (segments to
bytes). Transaction-set maps sit on top. Pure code: no I/O beyond the stream
it is given.
"""
