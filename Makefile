# The few verbs a contributor needs. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run`'s port: `make run PORT=8001` (or PORT in the environment). The demo's links and logins follow it.
PORT ?= 8000
DEV_ENV := DJANGO_DEBUG=1 PORT=$(PORT) ASPIRE_SITE_URL=$${ASPIRE_SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run serve worker test bench lint clean messages

## run: install, migrate the SQLite database, load the demo data, serve http://127.0.0.1:$(PORT) (PORT=8000 unless
##   said) and run the message worker and, every minute, the reminder job beside it
run: $(VENV)/.installed
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) bash scripts/run-dev.sh

## serve: production under gunicorn on DATABASE_URL (DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS set; README)
serve: $(VENV)/.installed
	$(BIN)/python manage.py check --deploy
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn --config python:aspire.gunicorn_conf aspire.wsgi

## worker: production's message worker (the outbox: a thread per channel), beside `make serve`, on as many machines as you like
worker: $(VENV)/.installed
	$(BIN)/python manage.py run_worker

## test: the whole suite on SQLite and on a throwaway PostgreSQL, browser tests included
test: $(VENV)/.installed-dev
	bash scripts/test.sh

## bench: a year of data on a throwaway PostgreSQL under gunicorn, loaded with wrk; prints BENCH lines
bench: $(VENV)/.installed-dev
	bash scripts/bench.sh

## messages: update the Urdu catalogue (locale/ur/LC_MESSAGES/django.po) from the code and templates, and compile it
##   Then translate what tests/test_translations.py lists as untranslated, and run `make messages` again.
messages: $(VENV)/.installed-dev
	$(BIN)/python manage.py makemessages --locale ur --no-obsolete --add-location file $(MESSAGES_IGNORE)
	$(BIN)/python scripts/compile_messages.py

# Reception's admin stays English: its templates are left out of the patients' catalogue.
MESSAGES_IGNORE := --ignore '.venv/*' --ignore 'tests/*' --ignore 'staticfiles/*' --ignore 'var/*' --ignore 'scripts/*' \
	--ignore 'templates/admin/*' --ignore '*/templates/admin/*'

## lint: ruff over the project
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

$(BIN)/python:
	bash scripts/ensure-venv-support.sh $(PYTHON)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed
