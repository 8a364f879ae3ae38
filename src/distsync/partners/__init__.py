"""X12 trading partners: documents to partners through the outbox, interchanges into the log.

- ``x12_out``: a canonical document as the interchange one partner receives;
- ``channel``: the connector of destination ``partner:<name>`` (renders, records
  the sent group, hands the bytes to the partner's transport);
- ``x12_in`` (with ``x12_in_checks`` and ``x12_in_record``): interchange bytes
  from a partner as canonical event envelopes, and the 997/999 that answers them;
- ``inbox``: the files a directory partner drops, through ``x12_in``;
- ``acks``: the record of every sent group, reconciliation of the partner's
  997/999 against it, and the groups still unacknowledged past their deadline;
- ``keys``: the idempotency, partition and correlation keys of partner documents.

``docs/partners.md`` is the guide for onboarding a partner.
"""
