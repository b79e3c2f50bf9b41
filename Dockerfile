FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# The Debian packages of deploy/debian-packages.txt's [runtime] section (the Makefile reads the same
# list): WeasyPrint's Pango and HarfBuzz, the PDF's font, pg_dump for `manage.py backup`. Copied
# alone first so that this layer is rebuilt only when the list changes.
COPY deploy/debian-packages.txt deploy/debian-packages.sh deploy/
RUN apt-get update \
    && apt-get install -y --no-install-recommends $(sh deploy/debian-packages.sh runtime) \
    && rm -rf /var/lib/apt/lists/*
COPY . .
RUN pip install --no-cache-dir -e . \
    && SECRET_KEY=build ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && useradd --create-home app && mkdir -p /app/media /app/backups \
    && chown -R app /app/media /app/backups
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
