FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# Build steps need no secret: development mode for them only (the image runs with SECRET_KEY).
RUN pip install --no-cache-dir . && RELESS_DEV=1 python manage.py compilemessages \
    && RELESS_DEV=1 python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "reless_platform.wsgi:application", "-c", "gunicorn.conf.py"]
