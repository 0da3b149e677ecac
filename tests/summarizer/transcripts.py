"""Realistic meeting transcripts for the summarizer tests, in English and French."""

from __future__ import annotations

from services.summarizer.engine.model import Segment

WORDS_PER_SECOND = 2.5
PAUSE_SECONDS = 9.0  # voice-activity detection drops the silences between turns


def timed(lines: list[str], start: float = 0.0) -> list[Segment]:
    """Segments with plausible times: speech at 150 words per minute, pauses between turns."""
    segments = []
    clock = start
    for line in lines:
        duration = len(line.split()) / WORDS_PER_SECOND
        segments.append(Segment(start=round(clock, 2), end=round(clock + duration, 2), text=line))
        clock += duration + PAUSE_SECONDS
    return segments


ENGLISH_MEETING_LINES = [
    # Budget and the trade show
    "Okay, let's get started, thanks everyone for joining the quarterly planning meeting.",
    "First item is the marketing budget for the third quarter.",
    "Right now the marketing budget is forty thousand dollars and we have already spent about "
    "twelve thousand on online advertising.",
    "The trade show in Berlin would cost another fifteen thousand dollars including the booth, "
    "the travel and the printed brochures.",
    "I think the trade show is worth it because last year most of our enterprise leads came "
    "from the booth.",
    "But the online advertising campaign brought more trial signups per dollar than the "
    "trade show did.",
    "Could we reduce the booth size to keep the trade show cost under ten thousand dollars?",
    "The organizers offer a smaller booth for eight thousand dollars, which fits the budget.",
    "After looking at the numbers, we decided to book the smaller booth at the Berlin trade show.",
    "We agreed to cut the online advertising budget by five thousand dollars to pay for the booth.",
    "Sarah will send the revised marketing budget to finance by Friday.",
    "Tom, can you book the flights and the hotel for the trade show team?",
    "The brochures also need a refresh because the pricing page changed in May.",
    "Lisa needs to update the brochure design with the new pricing before the end of the month.",
    # Hiring
    "Next topic is hiring for the backend engineering team.",
    "We interviewed four candidates for the senior backend engineer position last week.",
    "Two candidates did very well in the system design interview and the coding exercise.",
    "Maria has strong experience with distributed databases and payment systems.",
    "Kevin is more junior but his coding exercise was the cleanest we have seen this year.",
    "The engineering team prefers Maria because the payment migration starts in September.",
    "The salary expectations of Maria are slightly above our hiring budget for the position.",
    "Human resources said the hiring budget can stretch if we delay the second backend hire.",
    "We agreed to make an offer to Maria for the senior backend engineer position.",
    "Kevin could be a good fit for the junior opening that we plan for next year.",
    "David will prepare the offer letter for Maria and send it on Wednesday.",
    "We also need to plan the onboarding for the new engineer before she starts.",
    "Priya is going to write the onboarding checklist for the backend team.",
    "The onboarding should include access to the staging servers and the payment sandbox.",
    # Mobile release
    "Last topic is the mobile app release and the beta testing results.",
    "The beta testers reported three crashes on older Android phones during login.",
    "The crash happens when the login screen loads the profile picture before the session "
    "token arrives.",
    "The iOS version looks stable and the beta testers rated the new checkout flow highly.",
    "Fixing the Android login crash should take about two days of engineering work.",
    "We could ship the iOS release now and the Android release next week.",
    "Releasing both apps on the same day keeps the announcement and the support work simple.",
    "The decision is to postpone both mobile releases by one week so they ship together.",
    "Ahmed will fix the Android login crash and add a regression test for older phones.",
    "The support team needs to update the help center articles about the new checkout flow.",
    "We should also tell the beta testers about the new release date.",
    "Julia, could you email the beta testers with the new date and thank them for the reports?",
    "So to recap, the trade show booth, the offer to Maria and the mobile release date are "
    "settled.",
    "Thanks everyone, see you next week.",
]

FRENCH_MEETING_LINES = [
    # Déménagement des bureaux
    "Bon, on commence, merci à tous d'être là pour la réunion d'équipe du lundi.",
    "Le premier sujet, c'est le déménagement des bureaux à Lyon au mois de novembre.",
    "Les nouveaux bureaux sont plus grands mais le loyer augmente de dix pour cent.",
    "Le propriétaire propose une remise sur le loyer si nous signons le bail pour six ans.",
    "Un bail de six ans nous engage longtemps alors que l'équipe va encore grandir.",
    "Après discussion, nous avons décidé de signer le bail pour trois ans seulement.",
    "Le déménagement lui-même coûtera environ huit mille euros avec les meubles.",
    "On a convenu de garder les anciens bureaux et les meubles jusqu'à la fin de novembre.",
    "Claire va négocier la date d'entrée avec le propriétaire des nouveaux bureaux.",
    "Il faut aussi prévenir les clients de notre nouvelle adresse avant le déménagement.",
    "Julien, peux-tu préparer le courrier aux clients avec la nouvelle adresse ?",
    # Serveur et sauvegardes
    "Deuxième sujet, le serveur de sauvegarde qui tombe en panne depuis deux semaines.",
    "Le disque principal du serveur de sauvegarde montre des erreurs presque tous les jours.",
    "Les sauvegardes de la base de données clients ont échoué trois nuits de suite.",
    "Une solution serait de passer les sauvegardes vers un stockage en ligne chiffré.",
    "Le stockage en ligne coûte environ cent euros par mois pour notre volume de données.",
    "Acheter un nouveau serveur de sauvegarde coûterait trois mille euros sans la maintenance.",
    "Tout le monde est d'accord pour passer au stockage en ligne chiffré dès ce mois-ci.",
    "Sophie doit configurer les sauvegardes chiffrées et vérifier une restauration complète.",
    "En attendant, Marc se charge de copier la base de données clients chaque soir à la main.",
    "Il faudra aussi documenter la procédure de restauration pour toute l'équipe.",
    # Formation et recrutement
    "Dernier sujet, la formation des nouveaux commerciaux qui arrivent en janvier.",
    "Les nouveaux commerciaux ont besoin d'une formation sur le produit et sur les tarifs.",
    "La formation de l'année dernière durait deux jours et elle était trop théorique.",
    "Cette fois la formation doit contenir des démonstrations du produit et des cas clients.",
    "Nous avons retenu une formation de trois jours avec une journée de démonstrations.",
    "Nathalie va préparer le programme de formation avec les cas clients les plus récents.",
    "Il faut réserver la grande salle de réunion pour la formation avant vendredi.",
    "Pour le recrutement, deux postes de commerciaux sont encore ouverts à Lyon.",
    "Le cabinet de recrutement nous a envoyé cinq candidatures pour les postes de commerciaux.",
    "Thomas doit organiser les entretiens avec les candidats la semaine prochaine.",
    "Donc pour résumer, le bail de trois ans, le stockage en ligne et la formation sont validés.",
    "Merci à tous, bonne semaine.",
]

ENGLISH_MEETING = timed(ENGLISH_MEETING_LINES)
FRENCH_MEETING = timed(FRENCH_MEETING_LINES)
