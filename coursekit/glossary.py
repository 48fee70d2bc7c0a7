"""The course's one glossary, French–English, with the lecture's own terms first.

Each entry is (French, English, note in English, note in French): the French term the course uses, the way the
lecture says it, then its synonyms; its English equivalent; and what to watch for (a false friend, a second sense,
the slide that uses it). ``markdown("en")`` and ``markdown("fr")`` write the glossary of each edition, kept as
``notebooks/glossary.md`` and ``notebooks/fr/glossaire.md``, which every notebook's introduction links to
(``coursekit translate`` writes them; a test keeps them current).
"""

from __future__ import annotations

import re
from pathlib import Path

from coursekit.environment import write_atomically

# (French, English, note in English, note in French); the lecture's term first, then its synonyms
GLOSSARY = (
    ("apprentissage profond", "deep learning", "the lecture's title: «Génération d'images par apprentissage profond»",
     "titre du cours : « Génération d'images par apprentissage profond »"),
    ("réseau de neurones (profond)", "(deep) neural network", "slides «Réseau de neurones», «Réseau de neurones "
     "*profond*»", "diapositives « Réseau de neurones », « Réseau de neurones *profond* »"),
    ("neurone, unité", "neuron, unit", "", ""),
    ("poids", "weight", "", ""),
    ("biais (d'un neurone)", "bias (of a neuron)", "first sense: the constant term b of w · x + b",
     "premier sens : le terme constant b de w · x + b"),
    ("biais (d'un modèle, des données)", "bias (of a model, of data)",
     "second sense: a systematic skew, such as colorization's pull towards dull colours (slide «Biais»)",
     "second sens : une déviation systématique, comme l'attrait de la colorisation pour les couleurs ternes "
     "(diapositive « Biais »)"),
    ("couche", "layer", "", ""),
    ("fonction d'activation", "activation function", "", ""),
    ("ReLU (unité linéaire rectifiée)", "ReLU (rectified linear unit)", "", ""),
    ("sigmoïde", "sigmoid", "", ""),
    ("réseau de neurones à convolution (CNN), réseau convolutif", "convolutional neural network (CNN)",
     "slide «Réseaux de neurones à convolution (CNN)»", "diapositive « Réseaux de neurones à convolution (CNN) »"),
    ("filtre, noyau", "filter, kernel", "", ""),
    ("paramètres partagés", "shared parameters", "", ""),
    ("pas", "stride", "", ""),
    ("remplissage (par des zéros)", "(zero) padding", "", ""),
    ("sous-échantillonnage, agrégation", "pooling, downsampling", "", ""),
    ("carte d'activation, carte de caractéristiques", "activation map, feature map", "", ""),
    ("caractéristiques", "features", "slide «Extraire les caractéristiques d'une image»",
     "diapositive « Extraire les caractéristiques d'une image »"),
    ("champ récepteur", "receptive field", "", "plutôt que « champ réceptif »"),
    ("fonction de perte", "loss function", "slide «Fonction de perte (*loss function*)»",
     "diapositive « Fonction de perte (*loss function*) »"),
    ("entropie croisée", "cross-entropy", "", ""),
    ("descente du gradient", "gradient descent", "slide «Descente du gradient»",
     "diapositive « Descente du gradient »"),
    ("montée du gradient", "gradient ascent", "", ""),
    ("taux d'apprentissage", "learning rate", "", ""),
    ("rétropropagation", "backpropagation", "", ""),
    ("lot, mini-lot", "batch, minibatch", "", ""),
    ("époque", "epoch", "one pass over the training set", "un passage sur tout l'ensemble d'entraînement"),
    ("itération", "iteration, step", "", ""),
    ("entraînement, entraîner", "training, to train", "", ""),
    ("boucle d'entraînement", "training loop", "", ""),
    ("ensemble d'entraînement", "training set", "", ""),
    ("ensemble de validation", "validation set", "", ""),
    ("ensemble de test", "test set", "", ""),
    ("surapprentissage, sur-apprentissage", "overfitting", "", ""),
    ("exactitude", "accuracy", "a false friend: accuracy is never «précision»",
     "faux ami : *accuracy* ne se traduit jamais par « précision »"),
    ("précision", "precision", "the share of true positives among the positives a classifier predicts; not accuracy",
     "la part de vrais positifs parmi les positifs prédits ; pas l'exactitude"),
    ("étiquette", "label", "slide «Étiquette vers façade»", "diapositive « Étiquette vers façade »"),
    ("classe, classifieur", "class, classifier", "", ""),
    ("moment, Adam", "momentum, Adam", "", ""),
    ("hyperparamètre", "hyperparameter", "", ""),
    ("point de contrôle", "checkpoint", "the saved weights of a trained network", "les poids sauvegardés d'un réseau "
     "entraîné"),
    ("maximisation d'activation", "activation maximisation", "", ""),
    ("réseaux profonds discriminatifs, génératifs", "discriminative, generative deep networks",
     "slides «Réseaux profonds discriminatifs», «Réseaux profonds *génératifs*»",
     "diapositives « Réseaux profonds discriminatifs », « Réseaux profonds *génératifs* »"),
    ("échantillonnage, échantillon", "sampling, sample", "slide «Échantillonnage»", "diapositive « Échantillonnage »"),
    ("vraisemblance", "likelihood", "", ""),
    ("convolution masquée", "masked convolution", "", ""),
    ("tache aveugle", "blind spot", "", ""),
    ("compléter une image", "image completion, inpainting", "slide «Compléter une image»",
     "diapositive « Compléter une image »"),
    ("température", "temperature", "", ""),
    ("colorisation", "colorization", "", ""),
    ("clarté (canal L)", "lightness (the L channel)", "", ""),
    ("chrominance (canaux a et b)", "chroma (the a and b channels)", "", ""),
    ("gamut", "gamut", "the colours a screen can show", "les couleurs qu'un écran peut afficher"),
    ("a priori", "prior", "", ""),
    ("rééquilibrage des classes", "class rebalancing", "", ""),
    ("moyenne recuite", "annealed mean", "", ""),
    ("synthèse de textures", "texture synthesis", "slide «Synthèse de textures par CNN»",
     "diapositive « Synthèse de textures par CNN »"),
    ("matrice de Gram", "Gram matrix", "", ""),
    ("transfert de style", "style transfer", "", ""),
    ("contenu, poids du style", "content, style weight", "", ""),
    ("variation totale", "total variation", "", ""),
    ("bruit", "noise", "", ""),
    ("réseaux génératifs adversariaux (GAN)", "generative adversarial networks (GAN)",
     "the lecture's term; «réseaux antagonistes génératifs» is a synonym",
     "le terme du cours ; « réseaux antagonistes génératifs » en est un synonyme"),
    ("générateur, discriminateur", "generator, discriminator", "", ""),
    ("effondrement des modes", "mode collapse", "", ""),
    ("arêtes, contours", "edges", "slide «Arêtes vers images»", "diapositive « Arêtes vers images »"),
    ("carte d'étiquettes", "label map", "", ""),
    ("cohérence de cycle", "cycle consistency", "", ""),
    ("carnet (Jupyter)", "(Jupyter) notebook", "", ""),
    ("cellule", "cell", "", ""),
    ("diapositive", "slide", "", ""),
    ("processeur graphique (GPU)", "GPU", "", ""),
)

FILES = {"en": Path("glossary.md"), "fr": Path("fr") / "glossaire.md"}  # under notebooks/


def french_spacing(text: str) -> str:
    """``text`` with French typography's non-breaking spaces: before : ; ? ! and inside « », where a plain space
    (or none) was."""
    text = re.sub(r"«\s*", "«\u00a0", text)
    text = re.sub(r"\s*»", "\u00a0»", text)
    return re.sub(r"[ \u00a0]?([:;?!])(?=\s|$)", "\u00a0\\1", text)


def markdown(lang: str = "en") -> str:
    """The glossary of the ``lang`` edition, a Markdown table."""
    if lang == "en":
        lines = ["# Glossary · French–English", "",
                 "The lecture is taught in French: its terms come first, then their synonyms, then English.", "",
                 "| French | English | note |", "|---|---|---|"]
        lines += [f"| {fr} | {en} | {note} |" for fr, en, note, _ in GLOSSARY]
    elif lang == "fr":
        lines = ["# Glossaire · français–anglais", "",
                 "Les termes du cours d'abord, puis leurs synonymes, puis l'anglais.", "",
                 "| Français | Anglais | Remarque |", "|---|---|---|"]
        lines += [f"| {fr} | *{en}* | {french_spacing(note)} |" for fr, en, _, note in GLOSSARY]
    else:
        raise ValueError(f"the glossary's languages are 'en' and 'fr', got {lang!r}.")
    return "\n".join(lines) + "\n"


def write(folder: Path) -> list[Path]:
    """Write both editions' glossaries under ``folder`` (the notebooks' folder); returns their paths."""
    written = []
    for lang, name in FILES.items():
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(write_atomically(path, markdown(lang)))
    return written
