"""What the synthesized test recordings say."""

ENGLISH_TEXT = (
    "The quarterly budget meeting starts on Monday morning. "
    "Please bring the sales report and the marketing plan for the new product."
)
FRENCH_TEXT = (
    "Bonjour à tous. Merci d'être venus à la réunion de ce matin. "
    "Nous allons parler du budget de l'année prochaine et du calendrier des projets. "
    "La semaine dernière, l'équipe commerciale a signé trois nouveaux contrats "
    "avec des clients importants."
)
