from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.my_space, name="my_space"),
    path("c/<str:pcode>/", views.commune_public, name="commune_public"),
]
