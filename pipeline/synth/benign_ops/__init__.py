"""Benign operations work (population `ops`): a third, independent population of hard negatives.

Written from how organisations run their accounts, not from how any detector scores: analysts
learning Athena, a monthly cost review, support engineers reaching in from the management
account, a contractor's first days, CloudShell, restore drills, a maintenance window at night, a
chaos game day, key and certificate rotation, the platform team's account baseline. One module
per kind of work; each scenario registers itself (`tg.ops.*`, kind `hard_negative`).
"""
