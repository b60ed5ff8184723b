"""Picks the history tests' accounts from the e2e demo database and gives one member a name
that starts with '=' (a CSV formula). Usage: fixtures.py <sqlite file> <fixtures.json> <the data's last day, YYYY-MM-DD>."""
import json
import sqlite3
import sys
import time
import uuid

db = sqlite3.connect(sys.argv[1])
NAMED = ("anna.lindberg", "erik.holm", "fatima.ekonomi", "maja.svensson", "samir.karlsson")
company = db.execute(
    "SELECT c.id FROM companies c JOIN memberships m ON m.company_id = c.id "
    "JOIN users u ON u.id = m.user_id WHERE u.email LIKE 'anna.lindberg@%'"
).fetchone()[0]


def people(role):
    rows = db.execute(
        "SELECT u.id, u.email FROM users u JOIN memberships m ON m.user_id = u.id "
        "WHERE m.company_id = ? AND m.role = ? AND m.status = 'active' "
        "ORDER BY (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id) DESC, u.email",
        (company, role),
    ).fetchall()
    return [(i, e) for i, e in rows if not e.startswith(NAMED)]


members = people("member")
member_id, member_email = members[0]
member_name = db.execute("SELECT display_name FROM users WHERE id = ?", (member_id,)).fetchone()[0]
formula_id, formula_email = members[1]
formula_name = '=HYPERLINK("http://evil.example","Klicka")'
db.execute("UPDATE users SET display_name = ? WHERE id = ?", (formula_name, formula_id))
# Four more people become admins, one per test that needs to see everyone's sessions.
admins = [email for _, email in members[2:6]]
for uid, _ in members[2:6]:
    db.execute(
        "UPDATE memberships SET role = 'admin' WHERE user_id = ? AND company_id = ?", (uid, company)
    )
# The money tests (issue 14): two finance viewers (costs and invoices, JavaScript on and off),
# and admins for the cost centers, the member defaults and the monthly report (one per test
# and mode: each address may ask for a code once a minute).
money = [email for _, email in members[6:18]]
for i, (uid, _) in enumerate(members[6:18]):
    db.execute(
        "UPDATE memberships SET role = ? WHERE user_id = ? AND company_id = ?",
        ("finance" if i < 4 else "admin", uid, company),
    )
# A company of its own for the ownership handover test, so no other test sees its owner change.
now = int(time.time())
handover = uuid.uuid4()
db.execute(
    "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at) "
    "VALUES (?, 'Överlåtelse AB', '559999-0001', 'Europe/Stockholm', 'SEK', ?)",
    (handover.bytes, now),
)


def add_person(company_id, role, email, name):
    """A user and their active membership; returns the user id."""
    uid = uuid.uuid4()
    db.execute(
        "INSERT INTO users (id, email, display_name, created_at) VALUES (?, ?, ?, ?)",
        (uid.bytes, email, name, now),
    )
    db.execute(
        "INSERT INTO memberships (company_id, user_id, role, invited_email, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (company_id.bytes, uid.bytes, role, email, now),
    )
    return uid


handover_people = {}
for role, email, name in [
    ("owner", "agare@overlatelse.example", "Olga Ägare"),
    ("admin", "admin@overlatelse.example", "Adam Admin"),
]:
    handover_people[role] = (str(add_person(handover, role, email, name)), email)
# A company with more than one page of members (50 a page) for the removal tests: a member
# on page 2 and one found by search, with JavaScript on and off, each mode by its own owner.
paging = uuid.uuid4()
db.execute(
    "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at) "
    "VALUES (?, 'Sidbyte AB', '559999-0002', 'Europe/Stockholm', 'SEK', ?)",
    (paging.bytes, now),
)
paging_people = [("owner", "agare.js@sidbyte.example", "Åsa Ägare"),
                 ("owner", "agare.nojs@sidbyte.example", "Örjan Ägare")]
paging_people += [("member", f"person{i:03}@sidbyte.example", f"Sid Person {i:03}") for i in range(70)]
for role, email, name in paging_people:
    add_person(paging, role, email, name)
# The front desk (issue 15): ten reception accounts of the demo company (one per test,
# layout and mode: an address may ask for a code once a minute), its organisation number and the codes of the facilities a guest can be registered at,
# for the tests that post the guest's session as the back office.
desks = [f"reception{i}@nordstrombygg.example" for i in range(1, 11)]
for email in desks:
    add_person(uuid.UUID(bytes=company), "front_desk", email, "Receptionen")
# The accessibility sweep (issue 16): one person per role, and one in two companies.
a11y = {}
for key, role, email, name in [
    ("a11yOwner", "owner", "a11y.owner@nordstrombygg.example", "Tillgänglig Ägare"),
    ("a11yAdmin", "admin", "a11y.admin@nordstrombygg.example", "Tillgänglig Admin"),
    ("a11yFinance", "finance", "a11y.finance@nordstrombygg.example", "Tillgänglig Ekonomi"),
    ("a11yMember", "member", "a11y.member@nordstrombygg.example", "Tillgänglig Medlem"),
    ("a11yDesk", "front_desk", "a11y.desk@nordstrombygg.example", "Receptionen"),
    ("a11yTwo", "member", "a11y.two@nordstrombygg.example", "Tillgänglig Två"),
]:
    add_person(uuid.UUID(bytes=company), role, email, name)
    a11y[key] = email
second = uuid.uuid4()
db.execute(
    "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at) "
    "VALUES (?, 'Andra Bolaget AB', '559999-0003', 'Europe/Stockholm', 'SEK', ?)",
    (second.bytes, now),
)
db.execute(
    "INSERT INTO memberships (company_id, user_id, role, invited_email, created_at) "
    "VALUES (?, (SELECT id FROM users WHERE email = ?), 'member', ?, ?)",
    (second.bytes, a11y["a11yTwo"], a11y["a11yTwo"], now),
)
# The keyboard-only flows (issue 16): an owner of the second company with people to remove,
# an admin who exports, a front desk of the demo company.
keyboard = {
    "kbOwner": "tangent.agare@andrabolaget.example",
    "kbAdmin": "tangent.admin@nordstrombygg.example",
    "kbDesk": "tangent.reception@nordstrombygg.example",
}
add_person(second, "owner", keyboard["kbOwner"], "Tangent Ägare")
for i in range(1, 7):
    add_person(second, "member", f"tangent{i}@andrabolaget.example", f"Tangent Person {i}")
add_person(uuid.UUID(bytes=company), "admin", keyboard["kbAdmin"], "Tangent Admin")
add_person(uuid.UUID(bytes=company), "front_desk", keyboard["kbDesk"], "Receptionen")
# The calendar tests (issue 26, end2end/tests/calendar.spec.js): admins of the demo company
# who look at "this month" and at sessions posted around the moment the tests run.
# who post and find sessions around the moment the tests run, and members with no sessions
# at all, whose "this month" is empty whatever the date.
calendar = {"calendarJs": "kalender.js@nordstrombygg.example", "calendarNoJs": "kalender.nojs@nordstrombygg.example"}
for email in calendar.values():
    add_person(uuid.UUID(bytes=company), "admin", email, "Kalender Admin")
for key, email in [("calendarMemberJs", "kalender.medlem.js@nordstrombygg.example"),
                   ("calendarMemberNoJs", "kalender.medlem.nojs@nordstrombygg.example")]:
    add_person(uuid.UUID(bytes=company), "member", email, "Kalender Medlem")
    calendar[key] = email
# Finance viewers who follow the cost page's guests and "others" rows (issue 26).
for key, email in [("costRowsJs", "kostnadsrader.js@nordstrombygg.example"),
                   ("costRowsNoJs", "kostnadsrader.nojs@nordstrombygg.example")]:
    add_person(uuid.UUID(bytes=company), "finance", email, "Kostnadsrader Ekonomi")
    calendar[key] = email
org_number = db.execute("SELECT org_number FROM companies WHERE id = ?", (company,)).fetchone()[0]
# The cross-engine flows (Firefox and WebKit, end2end/engines/, scripts/test-engines.sh): per
# engine its own people, none of whom a Playwright test signs in as (an address may ask for a
# code once a minute): one who signs in and out, one who signs in inside the operator's
# iframe (the `embedded` flow), an admin of the demo company who filters and
# exports the history, a reception account, and a small company of its own with two owners,
# one who invites someone and one who removes the third person in the list (nobody else
# counts its members).
company_name = db.execute("SELECT name FROM companies WHERE id = ?", (company,)).fetchone()[0]
engines = {}
for n, engine in enumerate(("firefox", "webkit")):
    label = {"firefox": "Firefox", "webkit": "WebKit"}[engine]
    for role, email, name in [
        ("member", f"inloggning.{engine}@nordstrombygg.example", f"Inloggning {label}"),
        ("admin", f"historik.{engine}@nordstrombygg.example", f"Historik {label}"),
        ("front_desk", f"reception.{engine}@nordstrombygg.example", f"Receptionen {label}"),
        ("member", f"inbaddad.{engine}@nordstrombygg.example", f"Inbäddad {label}"),
    ]:
        add_person(uuid.UUID(bytes=company), role, email, name)
    own = uuid.uuid4()
    own_name = f"Motor {label} AB"
    db.execute(
        "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at) "
        "VALUES (?, ?, ?, 'Europe/Stockholm', 'SEK', ?)",
        (own.bytes, own_name, f"559999-{11 + n:04}", now),
    )
    domain = f"{engine}.motor.example"
    add_person(own, "owner", f"agare@{domain}", f"Ägare {label}")
    add_person(own, "owner", f"agare2@{domain}", f"Ägare Två {label}")
    for i in range(1, 7):
        add_person(own, "member", f"person{i}@{domain}", f"Person {i} {label}")
    engines[engine] = {
        "signIn": f"inloggning.{engine}@nordstrombygg.example",
        "historyAdmin": f"historik.{engine}@nordstrombygg.example",
        "desk": f"reception.{engine}@nordstrombygg.example",
        "embedded": f"inbaddad.{engine}@nordstrombygg.example",
        "owner": f"agare@{domain}",
        "remover": f"agare2@{domain}",
        "ownCompany": own_name,
        "domain": domain,
    }
# The rules (issue 31, end2end/tests/policies.spec.js): per mode (JavaScript on and off) a
# company of its own, so no other test sees its rules, with an admin, a member and three cost
# centers; the member's default is the third, the one the test picks.
policies = {}
for n, mode in enumerate(("js", "nojs")):
    own = uuid.uuid4()
    own_org = f"559999-{21 + n:04}"
    db.execute(
        "INSERT INTO companies (id, name, org_number, time_zone, currency, created_at) "
        "VALUES (?, ?, ?, 'Europe/Stockholm', 'SEK', ?)",
        (own.bytes, f"Regler {mode.upper()} AB", own_org, now),
    )
    centers = []
    for code, name in [("100", "Ledning"), ("200", "Sälj"), ("300", "Service")]:
        cid = uuid.uuid4()
        db.execute(
            "INSERT INTO cost_centers (id, company_id, code, name, created_at) VALUES (?, ?, ?, ?, ?)",
            (cid.bytes, own.bytes, code, name, now),
        )
        centers.append(cid)
    admin_email = f"admin.{mode}@regler.example"
    member_email_p = f"medlem.{mode}@regler.example"
    add_person(own, "admin", admin_email, "Regel Admin")
    member_id_p = add_person(own, "member", member_email_p, "Regel Medlem")
    db.execute(
        "UPDATE memberships SET default_cost_center_id = ? WHERE user_id = ? AND company_id = ?",
        (centers[2].bytes, member_id_p.bytes, own.bytes),
    )
    policies[mode] = {
        "admin": admin_email,
        "member": member_email_p,
        "orgNumber": own_org,
        "center": "300 Service",
    }
# The Finnish and the Norwegian company seen without JavaScript (issue 33,
# end2end/tests/countries.spec.js): an admin of each of their own (the demo's admins sign in
# with JavaScript in i18n.spec.js, and an address may ask for a code once a minute).
countries = {}
for key, org, email, name in [
    ("fi", "1234567-1", "hallinto.nojs@virtasenrakennus.example", "Aino Hallinto"),
    ("nb", "987 654 325", "admin.nojs@haugenbygg.example", "Åse Aasen"),
]:
    (cid,) = db.execute("SELECT id FROM companies WHERE org_number = ?", (org,)).fetchone()
    add_person(uuid.UUID(bytes=cid), "admin", email, name)
    countries[key] = email
facility_codes = {
    str(uuid.UUID(bytes=fid)): code
    for fid, code in db.execute(
        "SELECT id, external_ref FROM facilities WHERE company_account IN ('yes', 'some')"
    )
}
db.commit()
fixtures = {
    **a11y,
    "policies": policies,
    "countries": countries,
    **keyboard,
    **calendar,
    "desks": desks,
    "companyName": company_name,
    "engines": engines,
    "orgNumber": org_number,
    "facilityCodes": facility_codes,
    "pagingOwnerJs": "agare.js@sidbyte.example",
    "pagingOwnerNoJs": "agare.nojs@sidbyte.example",
    "pagingSearchJs": "Sid Person 066",
    "pagingSearchNoJs": "Sid Person 067",
    "handoverOwner": handover_people["owner"][1],
    "handoverAdmin": handover_people["admin"][1],
    "handoverAdminId": handover_people["admin"][0],
    "adminJs": admins[0],
    "adminNoJs": admins[1],
    "exporter": admins[2],
    "embedded": admins[3],
    "member": member_email,
    "memberName": member_name,
    "formulaName": formula_name,
    "financeJs": money[0],
    "financeNoJs": money[1],
    "invoicesJs": money[2],
    "invoicesNoJs": money[3],
    "costCentersJs": money[4],
    "costCentersNoJs": money[5],
    "defaultsJs": money[6],
    "defaultsNoJs": money[7],
    "listJs": money[8],
    "listNoJs": money[9],
    "reportJs": money[10],
    "reportNoJs": money[11],
    # Members whose default the tests change (not anyone another test signs in as).
    "defaultsTargets": [email for _, email in members[18:22]],
}
# The period the demo data lives in: tests open it by URL instead of relying on "this month".
until = sys.argv[3]
fixtures["dataUntil"] = until
fixtures["dataYear"], fixtures["dataMonth"] = int(until[:4]), int(until[5:7])
json.dump(fixtures, open(sys.argv[2], "w"), indent=2)
