FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -e . \
    && SECRET_KEY=build ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && useradd --create-home app && mkdir -p /app/media && chown -R app /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
