"""Sending leads to other systems: an EHR or an admissions CRM takes a lead without anyone re-typing it.

Each way out is its own module (:mod:`helpline.integrations.fhir`, a FHIR R4 Bundle
per lead for ``helpline export --format fhir`` and the console), configured per
facility in facility.yml's ``integrations`` section (:mod:`helpline.admissions`),
off by default, and recorded in the audit trail whenever a lead leaves.
"""
