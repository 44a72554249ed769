"""Visible tests of ex9 (generated from its master; do not edit).

Run them with: python -m rpc_impersonation.grading check ex9
The answers below were stored when the exercise was generated, for these cases only.
"""
from rpc_impersonation.grading.spec import load_cases

ALLOW = ('rpc_impersonation.constants', 'rpc_impersonation.errors', 'rpc_impersonation.rules')

CASES = [{'name': "predict('com-cloaking/no-cloaking')['acts_as']",
  'points': 0.25,
  'hidden': False,
  'call': 'predict',
  'args': ['com-cloaking/no-cloaking'],
  'accepted': ['CORP\\svc_mid'],
  'rule': 'R32',
  'section': '07.cloaking',
  'right': '',
  'wrong': [],
  'misconception': 'cloaking-identity',
  'judge': 'equals',
  'field': 'acts_as'},
 {'name': "predict('com-cloaking/no-cloaking')['rule']",
  'points': 0.25,
  'hidden': False,
  'call': 'predict',
  'args': ['com-cloaking/no-cloaking'],
  'accepted': ['R32'],
  'rule': 'R32',
  'section': '07.cloaking',
  'right': '',
  'wrong': [['R18', 'cloaking-identity']],
  'misconception': 'symptom-not-cause',
  'judge': 'equals',
  'field': 'rule'},
 {'name': "predict('identity-tracking/static-bound-early')['acts_as']",
  'points': 0.25,
  'hidden': False,
  'call': 'predict',
  'args': ['identity-tracking/static-bound-early'],
  'accepted': ['CORP\\svc_a'],
  'rule': 'R31',
  'section': '07.tracking',
  'right': '',
  'wrong': [],
  'misconception': 'static-tracking',
  'judge': 'equals',
  'field': 'acts_as'},
 {'name': "predict('identity-tracking/static-bound-early')['rule']",
  'points': 0.25,
  'hidden': False,
  'call': 'predict',
  'args': ['identity-tracking/static-bound-early'],
  'accepted': ['R31'],
  'rule': 'R31',
  'section': '07.tracking',
  'right': '',
  'wrong': [['R32', 'static-tracking']],
  'misconception': 'symptom-not-cause',
  'judge': 'equals',
  'field': 'rule'}]

load_cases(CASES)
