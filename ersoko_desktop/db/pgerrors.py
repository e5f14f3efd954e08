"""Russian sentences for the usual ways a PostgreSQL connection fails (the server's text is kept at the end).

Used by the connection check (``services.server``) and by every PostgreSQL engine
(``credentials.attach``), so that a workstation whose server is down or whose password is missing
gets «Сервер … не отвечает» instead of a driver traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    database: str
    user: str
    sslmode: str = "prefer"


def explain(raw: str, target: Target, *, password_given: bool | None = None) -> str:
    """``password_given``: True — typed or found in a store; False — none anywhere; None — unknown."""
    raw = raw.strip()
    low = raw.lower()
    where = f"{target.host}:{target.port}"
    remedy = "Сохраните пароль: «Файл → Подключение к серверу…» или «ersoko --db URL server remember»."
    if "authentication failed" in low:
        if password_given is False:
            message = (f"Пароль роли «{target.user}» не найден ни в хранилище паролей системы, ни в файле "
                       f"pgpass (сервер {where}). {remedy}")
        elif password_given is None:
            message = f"Сервер {where} не принял пароль роли «{target.user}» (неверный или не сохранён). {remedy}"
        else:
            message = f"Неверный пароль или имя роли «{target.user}» на сервере {where}."
    elif "no password supplied" in low or "fe_sendauth" in low:
        message = (f"Сервер {where} требует пароль роли «{target.user}», а он не введён и не сохранён "
                   f"(ни в хранилище паролей системы, ни в файле pgpass). {remedy}")
    elif "does not exist" in low and "database" in low:
        message = f"На сервере {where} нет базы «{target.database}»."
    elif "does not exist" in low and "role" in low:
        message = f"На сервере {where} нет роли «{target.user}»."
    elif "ssl" in low and ("not support" in low or "required" in low):
        message = (f"Сервер {where} не поддерживает шифрование (SSL), а выбран режим «{target.sslmode}». "
                   "Выберите «prefer» или включите SSL на сервере.")
    elif "could not translate host name" in low or "name or service not known" in low:
        message = f"Адрес сервера «{target.host}» не найден (проверьте имя или укажите IP-адрес)."
    elif "no pg_hba.conf entry" in low:
        message = (f"Сервер {where} не разрешает подключение этой роли с этого компьютера: администратор должен "
                   "добавить строку в pg_hba.conf.")
    elif "connection refused" in low or "could not connect" in low or "timeout" in low or "timed out" in low:
        message = (f"Сервер {where} не отвечает: проверьте адрес и порт, запущен ли PostgreSQL и открыт ли порт "
                   "в брандмауэре.")
    else:
        message = f"Не удалось подключиться к серверу {where}."
    return f"{message} (Ответ сервера: {raw.splitlines()[0] if raw else 'нет'})"
