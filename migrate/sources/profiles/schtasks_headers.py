"""The columns of `schtasks /query /fo csv /v` by their English names, with what a German,
French and Chinese Windows prints for them: the schtasks profile reads them, and format
detection (sources/detect.py) recognises the header by them without importing the profile."""

# The columns this profile reads, by their English names, with what schtasks prints for them on a
# German, French and Chinese (Simplified) Windows. Headers are compared without blanks and case,
# since French puts a (sometimes non-breaking) space before its colons.
HEADERS: dict[str, tuple[str, ...]] = {
    "HostName": ("Hostname", "Nom de l'hôte", "主机名"),
    "TaskName": ("Aufgabenname", "Nom de la tâche", "任务名"),
    "Next Run Time": ("Nächste Laufzeit", "Prochaine exécution", "下次运行时间"),
    "Last Run Time": ("Letzte Laufzeit", "Heure de la dernière exécution", "上次运行时间"),
    "Task To Run": ("Auszuführende Aufgabe", "Tâche à exécuter", "要运行的任务"),
    "Start In": ("Starten in", "Démarrer dans", "起始于"),
    "Comment": ("Kommentar", "Commentaire", "注释"),
    "Scheduled Task State": ("Status der geplanten Aufgabe", "État de la tâche planifiée", "计划任务状态"),
    "Run As User": ("Als Benutzer ausführen", "Exécuter en tant qu'utilisateur", "作为用户运行"),
    "Schedule Type": ("Zeitplantyp", "Type de planification", "计划类型"),
    "Start Time": ("Startzeit", "Heure de début", "开始时间"),
    "Start Date": ("Startdatum", "Date de début", "开始日期"),
    "End Date": ("Enddatum", "Date de fin", "结束日期"),
    "Days": ("Tage", "Jours", "天"),
    "Months": ("Monate", "Mois", "月"),
    "Repeat: Every": ("Wiederholen: Jede", "Répéter : chaque", "重复: 每"),
    "Repeat: Until: Time": ("Wiederholen: Bis: Zeit", "Répéter : jusqu'à : heure", "重复: 截止: 时间"),
    "Repeat: Until: Duration": ("Wiederholen: Bis: Dauer", "Répéter : jusqu'à : durée", "重复: 截止: 持续时间"),
}
